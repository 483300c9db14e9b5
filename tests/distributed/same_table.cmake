# Script mode: runs SINGLE (one process) and DISTRIBUTED (an mpirun line), each a command whose words are
# joined by @@, and passes when both exit with 0, DISTRIBUTED prints exactly one results table (rank 0
# alone speaks), and the two tables are equal cell for cell but for the last column, wall time.
cmake_minimum_required(VERSION 3.20)

# The rows of the results table in `output` (lines that start with "|"), each without its last cell.
function(table_rows output result)
  string(REGEX MATCHALL "\n\\|[^\n]*" lines "${output}")
  set(rows "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "\\|[^|]*\\|$" "|" row "${line}")
    string(APPEND rows "${row}")
  endforeach()
  set(${result} "${rows}" PARENT_SCOPE)
endfunction()

foreach(name SINGLE DISTRIBUTED)
  string(REPLACE "@@" ";" command "${${name}}")
  execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${name}: exit status ${status}\n${out}${err}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${name} failed with exit status ${status}")
  endif()
  string(REGEX MATCHALL "\n\\| optimizer " headers "${out}")
  list(LENGTH headers tables)
  if(NOT tables EQUAL 1)
    message(FATAL_ERROR "${name} printed ${tables} results tables, not 1")
  endif()
  table_rows("${out}" ${name}_rows)
endforeach()
if(NOT SINGLE_rows STREQUAL DISTRIBUTED_rows)
  message(FATAL_ERROR "the tables differ:\none process:${SINGLE_rows}\ndata-parallel:${DISTRIBUTED_rows}")
endif()
message(STATUS "the tables are equal but for wall time:${SINGLE_rows}")
