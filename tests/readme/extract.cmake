# Script mode: writes OUTPUT, a C++ program made of every ```cpp block of README (in order): their
# #include lines at the top, everything else one statement after another in main(). The README's
# snippets are written to run in that order, so this program is the tour run end to end.
file(READ ${README} text)
# CMake lists split on semicolons: C++'s are hidden while the blocks are lists, and put back at the end.
string(REPLACE ";" "@TG_SEMICOLON@" text "${text}")
string(REGEX MATCHALL "```cpp\n[^`]*```" blocks "${text}")
set(includes "")
set(body "")
foreach(block IN LISTS blocks)
  string(REGEX REPLACE "^```cpp\n" "" block "${block}")
  string(REGEX REPLACE "```$" "" block "${block}")
  string(REGEX MATCHALL "#include [^\n]*\n" block_includes "${block}")
  string(REGEX REPLACE "#include [^\n]*\n" "" block "${block}")
  foreach(line IN LISTS block_includes)
    string(APPEND includes "${line}")
  endforeach()
  string(APPEND body "${block}")
endforeach()
list(LENGTH blocks count)
if(count EQUAL 0)
  message(FATAL_ERROR "${README} has no ```cpp block")
endif()
string(REPLACE "@TG_SEMICOLON@" ";" includes "${includes}")
string(REPLACE "@TG_SEMICOLON@" ";" body "${body}")
file(WRITE ${OUTPUT}.new "// Generated from README.md by tests/readme/extract.cmake: its ${count} C++ snippets in order.\n"
     "${includes}\nint main() {\n${body}  return 0;\n}\n")
# Rewritten only when the README's code changed, so that a prose edit rebuilds nothing.
file(COPY_FILE ${OUTPUT}.new ${OUTPUT} ONLY_IF_DIFFERENT)
