# docs/ops.md, the table of PyTorch's ops with tapegrad's spellings, agrees with the public headers: every
# op it marks yes or partial is declared where it says, and every public free function has a row
# (tests/docs/check_ops_table.cmake says exactly what is checked).
add_test(NAME Docs.OpsTable
  COMMAND ${CMAKE_COMMAND} -DSOURCE=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_ops_table.cmake)
