# Script mode: runs COMMAND (an mpirun line, its words joined by @@) and passes only when it fails
# (non-zero exit), its output matches every regular expression of EXPECT (joined by @@ too), and none of
# REJECT.
# CTest's own TIMEOUT bounds how long the failure may take to arrive.
cmake_minimum_required(VERSION 3.20)
foreach(list COMMAND EXPECT REJECT)
  string(REPLACE "@@" ";" ${list} "${${list}}")
endforeach()
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message(STATUS "exit status: ${status}\n${all}")
if(status EQUAL 0)
  message(FATAL_ERROR "expected a failing exit status, got 0")
endif()
foreach(pattern IN LISTS EXPECT)
  if(NOT all MATCHES "${pattern}")
    message(FATAL_ERROR "the output does not match '${pattern}'")
  endif()
endforeach()
foreach(pattern IN LISTS REJECT)
  if(all MATCHES "${pattern}")
    message(FATAL_ERROR "the output matches '${pattern}', which it must not")
  endif()
endforeach()
