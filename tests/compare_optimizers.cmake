# compare_optimizers from the command line: the default run (the README's main job) and each bad input.
if(NOT TARGET compare_optimizers)
  return()
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_bad ${CMAKE_BINARY_DIR}/bad-inputs)
set(_tool $<TARGET_FILE:compare_optimizers>)

add_test(NAME CompareOptimizers.MakeBadInputs
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/make_bad_inputs.py ${_bad})
set_tests_properties(CompareOptimizers.MakeBadInputs PROPERTIES FIXTURES_SETUP bad_inputs)

# compare_optimizers_case(<name> <expected exit> <regex> <args joined with |> [files])
function(compare_optimizers_case name exit regex args)
  add_test(NAME CompareOptimizers.${name}
           COMMAND ${CMAKE_COMMAND} "-DARGS=${_tool}|${args}" -DEXPECT_EXIT=${exit} "-DEXPECT=${regex}"
                   "-DFILES=${ARGN}" -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(CompareOptimizers.${name} PROPERTIES FIXTURES_REQUIRED bad_inputs)
endfunction()

set(_out ${CMAKE_BINARY_DIR}/compare-default)
# The main job: seven optimizers on digits; some optimizer's best validation accuracy is >= 0.95.
compare_optimizers_case(DigitsDefault 0 "\\| [a-z]+ +\\| [0-9.e-]+ +\\| [0-9.]+ +\\| (0\\.9[5-9]|1\\.00)[0-9]+ +\\|"
  "--out|${_out}" ${_out}/history.csv ${_out}/history.png ${_out}/history.svg)
compare_optimizers_case(MissingFile nonzero "no such file or folder: '${_bad}/missing.csv'"
  "--dataset|${_bad}/missing.csv")
compare_optimizers_case(CsvWrongFieldCount nonzero "wrong_fields.csv: line 3: 3 fields, expected 4"
  "--dataset|${_bad}/wrong_fields.csv")
compare_optimizers_case(CsvNotANumber nonzero "not_a_number.csv: line 4, field 2: \"x3\" is not a number"
  "--dataset|${_bad}/not_a_number.csv")
compare_optimizers_case(IdxWrongMagic nonzero "bad_magic/train-images-idx3-ubyte: wrong magic number 0x00001234"
  "--dataset|${_bad}/bad_magic")
compare_optimizers_case(IdxCountMismatch nonzero "has 20 images but .*count_mismatch/train-labels-idx1-ubyte.gz has 19 labels"
  "--dataset|${_bad}/count_mismatch")
compare_optimizers_case(IdxTruncated nonzero "truncated/train-images-idx3-ubyte: truncated: the header promises 20 x 2 x 2 = 80 bytes"
  "--dataset|${_bad}/truncated")
compare_optimizers_case(LabelOutOfRange nonzero "label_range/train-labels-idx1-ubyte.gz: index 19: label 12 is out of range"
  "--dataset|${_bad}/label_range")
compare_optimizers_case(UnknownOptimizer nonzero "--optimizers: unknown optimizer 'adamz'" "--optimizers|adam,adamz")
compare_optimizers_case(NegativeLearningRate nonzero "--lr: must be a positive number, got -0.1" "--lr|-0.1")
compare_optimizers_case(NegativePerOptimizerRate nonzero "the learning rate of adam must be positive"
  "--optimizers|adam:-1")
compare_optimizers_case(LayersDoNotMatchData nonzero "--layers: '10-128-10' starts with width 10 but the data has 64 features"
  "--layers|10-128-10")

# --save-best writes each optimizer's best model; the digits example loads it and reports its accuracy.
set(_saved ${CMAKE_BINARY_DIR}/compare-save-best)
compare_optimizers_case(SaveBest 0 "adam +\\| 0.001 +\\| [0-9.]+ +\\| 0\\.[0-9]+"
  "--optimizers|adam|--epochs|5|--save-best|--out|${_saved}" ${_saved}/adam-best.safetensors)
set_tests_properties(CompareOptimizers.SaveBest PROPERTIES FIXTURES_SETUP saved_model)
if(TARGET digits)
  add_test(NAME Examples.DigitsLoadsASavedModel
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:digits>|--load|${_saved}/adam-best.safetensors"
                   -DEXPECT_EXIT=0 "-DEXPECT=seed 0\n.*loaded .*adam-best.safetensors: validation accuracy 0\\.[0-9]+"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(Examples.DigitsLoadsASavedModel PROPERTIES FIXTURES_REQUIRED saved_model)
  add_test(NAME Examples.DigitsRejectsASavedSeedOutOfRange
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:digits>|--load|${_bad}/seed_too_large.safetensors"
                   -DEXPECT_EXIT=nonzero
                   "-DEXPECT=seed_too_large\\.safetensors: metadata 'seed' is '18446744073709551616', not a whole number"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(Examples.DigitsRejectsASavedSeedOutOfRange PROPERTIES FIXTURES_REQUIRED bad_inputs)
endif()
