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

# compare_optimizers_case(<name> <expected exit> <regex> <args joined with |> [files] [UNEXPECTED <regex>])
function(compare_optimizers_case name exit regex args)
  cmake_parse_arguments(PARSE_ARGV 4 arg "" "UNEXPECTED" "")
  list(JOIN arg_UNPARSED_ARGUMENTS "|" files)
  add_test(NAME CompareOptimizers.${name}
           COMMAND ${CMAKE_COMMAND} "-DARGS=${_tool}|${args}" -DEXPECT_EXIT=${exit} "-DEXPECT=${regex}"
                   "-DFILES=${files}" "-DUNEXPECTED=${arg_UNEXPECTED}" -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(CompareOptimizers.${name} PROPERTIES FIXTURES_REQUIRED bad_inputs)
endfunction()

set(_out ${CMAKE_BINARY_DIR}/compare-default)
# The main job: seven optimizers on digits, 3 seeds; some optimizer's mean best validation accuracy is >= 0.95.
compare_optimizers_case(DigitsDefault 0 "\\| [a-z]+ +\\| [0-9.e-]+ +\\| 3 +\\| [0-9.]+ ± [^|]+\\| (0\\.9[5-9]|1\\.00)[0-9]+ ± "
  "--out|${_out}" ${_out}/history.csv ${_out}/runs.csv ${_out}/summary.csv ${_out}/times.csv ${_out}/history.png
  ${_out}/history.svg ${_out}/report.md ${_out}/report.html)
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


# Bad values are refused by name before anything runs (CLI11 exits with 105 on a failed check).
compare_optimizers_case(SeedNegative nonzero "--seed: must be a whole number from 0 to 18446744073709551615, got -1"
  "--seed|-1")
compare_optimizers_case(SeedTooLarge nonzero "--seed: must be a whole number from 0 to 18446744073709551615, got 18446744073709551616"
  "--seed|18446744073709551616")
compare_optimizers_case(BatchTooLarge nonzero "--batch: must be a whole number from 1 to 9223372036854775807, got 9223372036854775808"
  "--batch|9223372036854775808")
compare_optimizers_case(EpochsNotWhole nonzero "--epochs: must be a whole number from 1 to 2147483647, got 1.5"
  "--epochs|1.5")
compare_optimizers_case(TargetNaN nonzero "--target: must be a number from 0 to 1, got nan" "--target|nan")
compare_optimizers_case(OptimizerTwice 1 "--optimizers: adam is listed twice" "--optimizers|sgd,adam,adam:1e-4")
compare_optimizers_case(LayersTooLarge 1
  "compare_optimizers: error: --layers: '64-10000000000-10' needs [0-9.]+ GB for its float32 parameters .* its largest layer is 1 \\(64 x 10000000000\\)"
  "--layers|64-10000000000-10")
# Issue 18's options: bad seeds, sweep grids, jobs and models are refused by name.
compare_optimizers_case(SeedsZero nonzero "--seeds: must be a whole number from 1 to 1000, got 0" "--seeds|0")
compare_optimizers_case(SeedsPastTheLastSeed 1 "--seed: 18446744073709551615 plus 2 \\(the last of --seeds 3\\) does not fit in 64 bits"
  "--seed|18446744073709551615")
compare_optimizers_case(SweepReversed 1 "--lr-sweep: 'adam:1e-2..1e-4:5': the low rate 0.01 is not below the high rate 0.0001"
  "--lr-sweep|adam:1e-2..1e-4:5")
compare_optimizers_case(SweepZeroPoints 1 "--lr-sweep: 'adam:1e-4..1e-2:0' asks for 0 points; a sweep needs a whole number from 2 to 50"
  "--lr-sweep|adam:1e-4..1e-2:0")
compare_optimizers_case(SweepUnknownOptimizer 1 "--lr-sweep: unknown optimizer 'adamz' in 'adamz:1e-4..1e-2:5'"
  "--lr-sweep|adamz:1e-4..1e-2:5")
compare_optimizers_case(SweepNotListed 1 "--lr-sweep: adam has a grid but is not in --optimizers"
  "--optimizers|sgd|--lr-sweep|adam:1e-4..1e-2")
compare_optimizers_case(JobsZero nonzero "--jobs: must be a whole number from 1 to 256, got 0" "--jobs|0")
compare_optimizers_case(JobsWithThreads 1 "--jobs 2 runs each training on one OpenBLAS thread; --threads 2 goes only with --jobs 1"
  "--jobs|2|--threads|2")
compare_optimizers_case(DistributedWithJobs 1 "--distributed trains every run on all the ranks together; --jobs 2 goes only without it"
  "--distributed|--jobs|2")
compare_optimizers_case(ModelUnknown 1 "--model: unknown model 'rnn' \\(choose mlp or cnn\\)" "--model|rnn")
# --model cnn: --layers and --activation describe the mlp; the cnn needs square images (one_class.csv has 3 features).
compare_optimizers_case(CnnRefusesLayers 1
  "--layers '64-128-10' describes an mlp; --model cnn trains fashion_cnn's network, which takes neither --layers nor --activation"
  "--model|cnn|--layers|64-128-10" UNEXPECTED "data: ")
compare_optimizers_case(CnnRefusesActivation 1 "--activation 'tanh' describes an mlp; --model cnn" "--model|cnn|--activation|tanh")
compare_optimizers_case(CnnRefusesNonSquareData 1
  "--model cnn: --dataset [^ ]*one_class.csv has 3 features per sample, not the pixels of a square image whose side is a multiple of 4"
  "--model|cnn|--dataset|${_bad}/one_class.csv" UNEXPECTED "epoch 1/")
# The cnn on digits, 3 epochs: both optimizers past 0.7 best validation and test accuracy (chance: 0.1).
set(_cnn ${CMAKE_BINARY_DIR}/compare-cnn)
set(_above_07 "(0\\.[7-9]|1\\.0)[0-9]*")
compare_optimizers_case(CnnOnDigits 0
  "model: cnn 8x8-conv32-pool-conv64-pool-128-10, relu, softmax cross-entropy; batch 64, 3 epochs.*\\| sgd +\\| 0\\.5 +\\| 1 +\\| [0-9.]+ +\\| ${_above_07} +\\| [0-9.]+ +\\| ${_above_07} +\\|.*\\| adam +\\| 0\\.001 +\\| 1 +\\| [0-9.]+ +\\| ${_above_07} +\\| [0-9.]+ +\\| ${_above_07} +\\|"
  "--model|cnn|--optimizers|sgd,adam|--epochs|3|--seeds|1|--save-best|--out|${_cnn}" ${_cnn}/history.csv ${_cnn}/adam-best.safetensors)
set_tests_properties(CompareOptimizers.CnnOnDigits PROPERTIES FIXTURES_SETUP saved_cnn)
# --jobs 2 gives the same CSV bytes as --jobs 1 (a sweep, two seeds, a few epochs), and its report.html
# holds the tables and both plots inline.
add_test(NAME CompareOptimizers.JobsGiveIdenticalCsvFiles
         COMMAND ${CMAKE_COMMAND} -DTOOL=${_tool} -DOUT=${CMAKE_BINARY_DIR}/compare-jobs
                 "-DARGS=--optimizers|sgd,adam|--lr-sweep|adam:1e-3..1e-2:3|--seeds|2|--epochs|3"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/compare_jobs.cmake)
# The same for the cnn (each training its own convolution buffers), whose reports name it.
add_test(NAME CompareOptimizers.CnnJobsGiveIdenticalCsvFiles
         COMMAND ${CMAKE_COMMAND} -DTOOL=${_tool} -DOUT=${CMAKE_BINARY_DIR}/compare-cnn-jobs
                 "-DARGS=--model|cnn|--optimizers|sgd,adam|--lr-sweep|sgd:0.1..0.5:2,adam:1e-3..3e-3:2|--seeds|2|--epochs|1"
                 "-DEXPECT_REPORT=# compare_optimizers: cnn 8x8-conv32-pool-conv64-pool-128-10 relu on digits\n.*model: cnn 8x8-conv32-pool-conv64-pool-128-10 relu"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/compare_jobs.cmake)

# Output destinations are checked before training (no epoch is logged).
compare_optimizers_case(OutCannotBeCreated 1 "--out: cannot create folder '/proc/tapegrad-compare'"
  "--out|/proc/tapegrad-compare|--epochs|1" UNEXPECTED "epoch 1/")
compare_optimizers_case(SaveBestIsAFolder 1 "--save-best: check_writable: .*compare-save-best-folder/adam-best.safetensors: is a folder, expected a file"
  "--optimizers|adam|--epochs|1|--save-best|--out|${CMAKE_BINARY_DIR}/compare-save-best-folder" UNEXPECTED "epoch 1/")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/compare-save-best-folder/adam-best.safetensors)

# A diverging optimizer is reported and stopped; the others' results are written; the exit status is 3.
set(_diverge ${CMAKE_BINARY_DIR}/compare-diverge)
compare_optimizers_case(DivergenceIsReported 3
  "\\| adam +\\| 0.001 +\\| 1 +\\| [0-9.]+ +\\|.*\\| sgd +\\| 1e\\+308 +\\| 1 \\(1 diverged\\) +\\| (nan|inf) at epoch 1 +\\| - .*warning: sgd \\(lr 1e\\+308, seed 0\\) diverged: its training loss was (nan|inf) at epoch 1, step [0-9]+; it stopped there, the others go on"
  "--optimizers|adam,sgd:1e308|--epochs|2|--seeds|1|--out|${_diverge}" ${_diverge}/history.csv ${_diverge}/history.png ${_diverge}/history.svg)
# A loss of exactly 0 (one class) cannot go on a log scale: the loss panel is linear and says why.
set(_zero ${CMAKE_BINARY_DIR}/compare-zero-loss)
compare_optimizers_case(ZeroLossIsPlottedLinearly 0
  "plot: the training loss is plotted on a linear scale: adam's is 0 at epoch 1"
  "--dataset|${_bad}/one_class.csv|--optimizers|adam|--epochs|2|--out|${_zero}"
  ${_zero}/history.csv ${_zero}/history.png ${_zero}/history.svg)
# Without gnuplot the message says so (not a broken installation) and history.csv is still written.
set(_nognu ${CMAKE_BINARY_DIR}/compare-no-gnuplot)
compare_optimizers_case(GnuplotMissing 1 "wrote .*history.csv.*error: gnuplot is not on PATH, so there is no plot"
  "--optimizers|adam|--epochs|1|--out|${_nognu}" ${_nognu}/history.csv)
set_tests_properties(CompareOptimizers.GnuplotMissing PROPERTIES ENVIRONMENT "PATH=/nonexistent")

# Names that would run a command if they reached a shell or a gnuplot command line (tests/cli/hostile_names.py).
add_test(NAME CompareOptimizers.HostileNames
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/hostile_names.py ${_tool}
                 ${CMAKE_BINARY_DIR}/compare-hostile)

# --save-best writes each optimizer's best model; the digits example loads it and reports its accuracy.
set(_saved ${CMAKE_BINARY_DIR}/compare-save-best)
compare_optimizers_case(SaveBest 0 "adam +\\| 0.001 +\\| 3 +\\| [0-9.]+ ± [^|]+\\| 0\\.[0-9]+ ± "
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
  # A cnn's best model is not digits' network: its metadata says which it is.
  add_test(NAME Examples.DigitsRejectsASavedCnn
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:digits>|--load|${_cnn}/adam-best.safetensors"
                   -DEXPECT_EXIT=1
                   "-DEXPECT=--load: [^ ]*adam-best\\.safetensors holds the network 'cnn 8x8-conv32-pool-conv64-pool-128-10 relu', not this example's 'mlp 64-128-128-10 sigmoid'"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(Examples.DigitsRejectsASavedCnn PROPERTIES FIXTURES_REQUIRED saved_cnn)
endif()
