# Script mode: runs the README's snippets (EXE) in a scratch folder holding the files they read, by the
# paths the README gives them (data/digits.csv.gz, tests/data/pytorch_mlp.safetensors).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/data ${WORK}/tests/data)
file(COPY ${SOURCE}/data/digits.csv.gz DESTINATION ${WORK}/data)
file(COPY ${SOURCE}/tests/data/pytorch_mlp.safetensors DESTINATION ${WORK}/tests/data)
execute_process(COMMAND ${EXE} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the README's snippets, run in order, ended with '${rc}'")
endif()
message(STATUS "the README's snippets ran in order")
