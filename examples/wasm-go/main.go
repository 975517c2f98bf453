// A Go program for GOOS=js GOARCH=wasm (Go 1.19 has no WASI port): it registers a global JS function,
// goHandle(method, url, body), that index.js calls for each request, and then waits for calls forever.
package main

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall/js"
)

type response struct {
	status      int
	contentType string
	body        string
}

func handle(method, rawURL, body string) response {
	u, err := url.Parse(rawURL)
	if err != nil {
		return response{400, "text/plain", "bad URL\n"}
	}
	switch {
	case u.Path == "/":
		greeting := os.Getenv("GREETING")
		if greeting == "" {
			greeting = "Hello"
		}
		return response{200, "text/plain; charset=utf-8", fmt.Sprintf("%s from Go on js/wasm! %s %s\n", greeting, method, u.Path)}
	case u.Path == "/reverse" && method == "POST":
		runes := []rune(body)
		for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
			runes[i], runes[j] = runes[j], runes[i]
		}
		return response{200, "text/plain; charset=utf-8", string(runes)}
	case u.Path == "/query":
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, strings.Join(q[k], ","))
		}
		return response{200, "text/plain; charset=utf-8", b.String()}
	}
	return response{404, "text/plain", fmt.Sprintf("no route for %s %s\n", method, u.Path)}
}

func main() {
	js.Global().Set("goHandle", js.FuncOf(func(this js.Value, args []js.Value) any {
		r := handle(args[0].String(), args[1].String(), args[2].String())
		return map[string]any{"status": r.status, "contentType": r.contentType, "body": r.body}
	}))
	fmt.Println("Go program ready")
	select {} // keep the Go runtime alive for goHandle calls
}
