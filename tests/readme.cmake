# Every ```cpp snippet of README.md compiles (warnings are errors: a discarded [[nodiscard]] result is a
# bug in a snippet) and runs in order, as README.Snippets.
set(_snippets ${CMAKE_CURRENT_BINARY_DIR}/readme_snippets.cpp)
add_custom_command(OUTPUT ${_snippets}
  COMMAND ${CMAKE_COMMAND} -DREADME=${PROJECT_SOURCE_DIR}/README.md -DOUTPUT=${_snippets}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/readme/extract.cmake
  DEPENDS ${PROJECT_SOURCE_DIR}/README.md ${CMAKE_CURRENT_SOURCE_DIR}/readme/extract.cmake
  COMMENT "Extracting the README's C++ snippets")
add_executable(readme_snippets ${_snippets})
target_link_libraries(readme_snippets PRIVATE tapegrad::nn tapegrad_warnings)
target_compile_options(readme_snippets PRIVATE -Werror)
add_test(NAME README.Snippets
  COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:readme_snippets> -DSOURCE=${PROJECT_SOURCE_DIR}
          -DWORK=${CMAKE_CURRENT_BINARY_DIR}/readme-run -P ${CMAKE_CURRENT_SOURCE_DIR}/readme/run.cmake)
