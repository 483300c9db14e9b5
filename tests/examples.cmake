# The tutorial examples, run from CTest: each run's output must show the tutorial's figures (a regular
# expression over stdout and stderr), and bad command-line arguments must give a message and a non-zero
# exit (checked by tests/cli/run_and_check.cmake). An example that is not built is skipped.

# example_case(<example> <regex> [args...]): runs the example with args; passes when it exits with 0 and
# its output matches (an example that crashes or leaks after printing its figures fails, under the
# sanitizers too).
function(example_case example regex)
  if(NOT TARGET ${example})
    return()
  endif()
  list(JOIN ARGN "|" args)
  if(args)
    set(args "|${args}")
  endif()
  add_test(NAME example.${example}
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:${example}>${args}" -DEXPECT_EXIT=0 "-DEXPECT=${regex}"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(example.${example} PROPERTIES TIMEOUT 60 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
endfunction()

# example_bad_args(<example> <name> <regex> <args joined with |> [exit code]): must exit non-zero (or with
# the given code) with a matching message, and without training first (no "epoch 1" in the output).
function(example_bad_args example name regex args)
  if(NOT TARGET ${example})
    return()
  endif()
  set(exit nonzero)
  if(ARGC GREATER 4)
    set(exit ${ARGV4})
  endif()
  add_test(NAME example.${example}.${name}
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:${example}>|${args}" -DEXPECT_EXIT=${exit}
                   "-DEXPECT=${regex}" "-DUNEXPECTED=[Ee]poch +1 " -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
endfunction()

set(_at_least_095 "(0\\.9[5-9][0-9]*|1\\.0+)")

# The seed neuron: its output, and autograd's gradient printed beside the closed form, digit for digit.
example_case(neuron "sigmoid\\(w \\. x \\+ b\\) = 0\\.9990889488055994\ndy/dw +autograd \\[0\\.0018204423602435681, 0\\.0027306635403653522\\]\n +closed +\\[0\\.0018204423602435681, 0\\.0027306635403653522\\]\ndy/db +autograd 0\\.00091022118012178404\n +closed +0\\.00091022118012178404\n")
example_case(network_221
  "network\\(\\[2, 3\\]\\) = 0\\.7216325609518421\nmse_loss\\(\\[1, 0, 0, 1\\], \\[0, 0, 0, 0\\]\\) = 0\\.5\n")
# final loss below 0.01, Emily above 0.9 and female, Frank below 0.1 and male
example_case(gender
  "Epoch 0 loss: 0\\.[0-9]+\n.*Epoch 999 loss: 0\\.00[0-9]\nEmily: 0\\.9[0-9]+ - F\nFrank: 0\\.0[0-9]+ - M\n")
# the Hessian agrees with finite differences to better than 1e-8 and with the closed-form block to 1e-12
example_case(hessian
  "worst difference from finite differences: (0|[0-9.]+e-(09|[1-9][0-9]))\noutput neuron block \\(w5, w6, b3\\) against its closed form: worst difference (0|[0-9.]+e-(1[2-9]|[2-9][0-9]))\n.*loss after the Newton step: +0\\.[0-9]+\n")
# the input-gradient penalty trains: validation accuracy above 0.9 after 10 epochs, the penalty printed
example_case(gradient_penalty
  "epoch 10  loss 0\\.[0-9]+  penalty [0-9]+\\.[0-9]+  validation accuracy 0\\.9[0-9]+  validation penalty [0-9]+\\.[0-9]+\n")
example_case(happiness "5 of 5 days round to their label")
example_case(digits "best validation accuracy ${_at_least_095} at epoch")
example_case(tanh_bce "final accuracy ${_at_least_095}\n")
example_case(quickstart "validation accuracy after 20 epochs: 0\\.9[0-9]+\n")

example_bad_args(digits unknown_argument "unknown argument '--bogus'.*usage: " "--bogus")
example_bad_args(digits bad_epochs "--epochs must be at least 1, got 0" "--epochs|0")
example_bad_args(digits not_a_number "--seed expects a whole number, got 'one'" "--seed|one")
example_bad_args(digits missing_value "--epochs needs a value" "--epochs")
example_bad_args(digits missing_data "read_csv: .*missing\\.csv" "--data|${CMAKE_BINARY_DIR}/missing.csv")
# A save destination that cannot take the model is refused before training, with rc 1 (not std::terminate).
example_bad_args(digits save_to_missing_folder
  "digits: error: --save: check_writable: .*/no-such-folder/model.safetensors: the folder .*/no-such-folder does not exist"
  "--save|${CMAKE_BINARY_DIR}/no-such-folder/model.safetensors" 1)
example_bad_args(digits save_to_a_folder "digits: error: --save: check_writable: ${CMAKE_BINARY_DIR}: is a folder, expected a file"
  "--save|${CMAKE_BINARY_DIR}" 1)
example_bad_args(digits save_where_no_file_can_be_made
  "digits: error: --save: check_writable: /proc/model.safetensors: cannot create a file in /proc"
  "--save|/proc/model.safetensors" 1)
example_bad_args(gender bad_epochs "--epochs must be at least 1, got -3" "--epochs|-3")
example_bad_args(tanh_bce bad_steps "--steps expects a whole number, got '10x'" "--steps|10x")
example_bad_args(network_221 any_argument "unknown argument '--seed'" "--seed|1")
example_bad_args(happiness any_argument "unknown argument 'extra'" "extra")

# network_221 --dot: the loss's graph as DOT, drawn as .svg by Graphviz when it is installed (setup.sh
# installs it); without dot on PATH the run still succeeds and says how to get the picture.
if(TARGET network_221)
  set(_graph ${CMAKE_BINARY_DIR}/network_221-graph/network_221)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/network_221-graph)
  find_program(TAPEGRAD_GRAPHVIZ_DOT dot)
  if(TAPEGRAD_GRAPHVIZ_DOT)
    set(_drawn_regex "drawn as [^\n]*/network_221\\.svg\n")
    set(_drawn_files "-DFILES=${_graph}.dot|${_graph}.svg")
  else()
    set(_drawn_regex "dot is not on PATH, so there is no [^\n]*/network_221\\.svg")
    set(_drawn_files "-DFILES=${_graph}.dot")
  endif()
  add_test(NAME example.network_221.dot
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:network_221>|--dot|${_graph}.dot" -DEXPECT_EXIT=0
                   "-DEXPECT=mse_loss[^\n]* = 0\\.5\ngraph of the loss written to [^\n]*/network_221\\.dot\n${_drawn_regex}"
                   "${_drawn_files}" -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  add_test(NAME example.network_221.dot_without_graphviz
           COMMAND ${CMAKE_COMMAND} "-DARGS=$<TARGET_FILE:network_221>|--dot|${_graph}-no-dot.dot" -DEXPECT_EXIT=0
                   "-DEXPECT=written to [^\n]*no-dot\\.dot\ndot is not on PATH, so there is no [^\n]*no-dot\\.svg \\(scripts/setup\\.sh installs Debian's graphviz\\)"
                   "-DFILES=${_graph}-no-dot.dot" -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_and_check.cmake)
  set_tests_properties(example.network_221.dot_without_graphviz PROPERTIES ENVIRONMENT "PATH=/nonexistent")
endif()
example_bad_args(network_221 dot_to_missing_folder
  "network_221: error: write_dot: [^\n]*/no-such-folder/graph\\.dot: the folder [^\n]*/no-such-folder does not exist"
  "--dot|${CMAKE_BINARY_DIR}/no-such-folder/graph.dot" 1)

# char_rnn on the first 20,000 characters of the King James Bible (build/data/kjv.txt, written by the build
# from Debian's bible-kjv-text), 2 epochs of each model, about 2 s: the hand-written BPTT agrees with autograd
# to better than 1e-12, each model prints its epochs, its validation loss falls from the untrained model's,
# and it prints a sample. Skipped where the text cannot be made (no bible-kjv).
if(TARGET kjv_text)
  set(_epoch "epoch +[12]  loss [0-9.]+ nats/char  [0-9.]+ bits/char  validation [0-9.]+ nats/char  [0-9.]+ bits/char")
  set(_sample "sample \\(temperature 0\\.8\\):\n[^\n]+")
  example_case(char_rnn
    "by autograd: loss [0-9.]+ and [0-9.]+, largest gradient difference (0|[0-9.]+e-(1[3-9]|[2-9][0-9]))\n.*rnn   ${_epoch}.*rnn   ${_epoch}.*rnn: validation loss fell from [0-9.]+ to [0-9.]+ nats/char.*rnn ${_sample}.*lstm  ${_epoch}.*lstm  ${_epoch}.*lstm: validation loss fell from [0-9.]+ to .*lstm ${_sample}"
    --limit 20000 --epochs 2 --sample-length 80 --temperature 0.8)
endif()
# Texts char_rnn must refuse: an empty file and one too short to train on.
file(WRITE ${CMAKE_BINARY_DIR}/char_rnn-empty.txt "")
file(WRITE ${CMAKE_BINARY_DIR}/char_rnn-short.txt "In the beginning")
example_bad_args(char_rnn unknown_argument "The following argument was not expected: --bogus" "--bogus")
example_bad_args(char_rnn bad_epochs "--epochs: must be a whole number from 1 to 9223372036854775807, got 0" "--epochs|0")
example_bad_args(char_rnn missing_value "--epochs: 1 required" "--epochs")
example_bad_args(char_rnn bad_model "--model: gru not in \\{rnn,lstm,both\\}" "--model|gru")
example_bad_args(char_rnn temperature_not_a_number "--temperature: must be a positive number, got hot" "--temperature|hot")
example_bad_args(char_rnn zero_temperature "--temperature: must be a positive number, got 0" "--temperature|0")
example_bad_args(char_rnn negative_limit "--limit: must be a whole number from 0 to 9223372036854775807, got -1"
  "--limit|-1")
example_bad_args(char_rnn hidden_not_whole "--hidden: must be a whole number from 1 to 4096, got 1.5" "--hidden|1.5")
example_bad_args(char_rnn missing_text "char_rnn: error: --text: no such file: '[^']*/missing\\.txt'"
  "--text|${CMAKE_BINARY_DIR}/missing.txt" 1)
example_bad_args(char_rnn text_is_a_folder "char_rnn: error: --text: '[^']*' is a folder, expected a text file"
  "--text|${CMAKE_BINARY_DIR}" 1)
example_bad_args(char_rnn empty_text "char_rnn: error: --text: '[^']*char_rnn-empty\\.txt' is empty"
  "--text|${CMAKE_BINARY_DIR}/char_rnn-empty.txt" 1)
example_bad_args(char_rnn short_text
  "char_rnn: error: --text: '[^']*char_rnn-short\\.txt' gives 16 characters \\(after --limit\\), too few: training needs 26 of them"
  "--text|${CMAKE_BINARY_DIR}/char_rnn-short.txt" 1)
example_bad_args(char_rnn endless_text "char_rnn: error: --text: '/dev/zero' is larger than 64 MiB; pass --limit N"
  "--text|/dev/zero|--limit|0" 1)

# The CNN on the first 1024 Fashion-MNIST images for one epoch (the whole run, 10 epochs of 60,000 images,
# is measured by hand; see the README): it must train and report a test accuracy well above chance (0.1).
# Skipped where Debian's dataset-fashion-mnist is not installed.
if(EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
  example_case(fashion_cnn "epoch  1  training loss [0-9.]+  test accuracy 0\\.[3-9][0-9]*  [0-9.]+ s\n" --limit 1024 --epochs 1)
  # --checkpoint and --resume: one epoch, then a run resumed from its checkpoint, print the two epoch lines
  # of one uninterrupted run, to the letter (one process: the same batches, the same arithmetic).
  if(TARGET fashion_cnn)
    set(fashion $<TARGET_FILE:fashion_cnn>@@--limit@@512)
    set(file ${CMAKE_CURRENT_BINARY_DIR}/fashion_cnn_resume.safetensors)
    add_test(NAME example.fashion_cnn.resumes
             COMMAND ${CMAKE_COMMAND} "-DREFERENCE=${fashion}@@--epochs@@2"
                     "-DPART1=${fashion}@@--epochs@@1@@--checkpoint@@${file}"
                     "-DPART2=${fashion}@@--epochs@@2@@--resume@@${file}" -DTOLERANCE=0
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/same_epochs.cmake)
    set_tests_properties(example.fashion_cnn.resumes PROPERTIES TIMEOUT 120 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  endif()
endif()
example_bad_args(fashion_cnn missing_checkpoint
  "fashion_cnn: error: --resume: load_safetensors: /nonexistent/x.safetensors: no such file"
  "--resume|/nonexistent/x.safetensors" 1)
example_bad_args(fashion_cnn checkpoint_in_missing_folder "--checkpoint: .*/nonexistent" "--checkpoint|/nonexistent/x" 1)
example_bad_args(fashion_cnn missing_folder "no such|cannot open|does not exist|missing" "--data|/nonexistent/fashion")
