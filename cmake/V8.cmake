# V8 10.2 from Debian's libnode: the system's libnode-dev if installed, otherwise the copy that
# scripts/setup.sh unpacked into .deps/libnode. Never /usr/include/node: NodeSource's V8 11.3 headers live
# there and their ABI does not match libnode.so.108.
set(_local ${CMAKE_SOURCE_DIR}/.deps/libnode/usr)
if(EXISTS ${_local}/include/node/v8.h)
  set(V8_INCLUDE_DIR ${_local}/include/node)
  set(V8_LIBRARY ${_local}/lib/x86_64-linux-gnu/libnode.so.108)
elseif(EXISTS /usr/include/nodejs/v8.h AND EXISTS /usr/lib/x86_64-linux-gnu/libnode.so.108)
  set(V8_INCLUDE_DIR /usr/include/nodejs)
  set(V8_LIBRARY /usr/lib/x86_64-linux-gnu/libnode.so.108)
else()
  message(FATAL_ERROR "V8 not found: run scripts/setup.sh (make build does)")
endif()
add_library(v8 SHARED IMPORTED GLOBAL)
set_target_properties(v8 PROPERTIES IMPORTED_LOCATION ${V8_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${V8_INCLUDE_DIR}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${V8_INCLUDE_DIR})
get_filename_component(V8_LIBRARY_DIR ${V8_LIBRARY} DIRECTORY)
set(CMAKE_BUILD_RPATH ${V8_LIBRARY_DIR})
set(CMAKE_INSTALL_RPATH ${V8_LIBRARY_DIR})
