// The client commands of `islet`: deploy and manage workers, tokens and KV through the management API of an
// `islet serve` (account, token, deploy, scripts, versions, rollback, tail, kv). They need no engine: main() runs
// them right after parsing the command line, before V8 starts.
//
// Every command reads --api-url/ISLET_API (default http://127.0.0.1:8788), --token/ISLET_API_TOKEN and, where it
// acts on an account, --account/ISLET_ACCOUNT_ID; without an account id, the token's only account is used. Output
// goes to stdout; an error prints "islet <command>: <message>" (the API's message where there is one) to stderr
// and the command exits with 1.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace islet::cli {

class ClientCommands {
 public:
  // Registers the commands as subcommands of `app`; `app` must outlive this object.
  explicit ClientCommands(CLI::App& app);
  ~ClientCommands();

  // After `app` has parsed the command line: runs the client command it names, if any, and returns its exit
  // code; nullopt when the command line names none of them.
  std::optional<int> run() const;

 private:
  struct State;
  struct Command;
  std::unique_ptr<State> state_;
  std::vector<Command> commands_;
};

}  // namespace islet::cli
