# Data-parallel tests (tests/distributed/), built with tapegrad::distributed and run under mpirun on this
# machine only: two ranks oversubscribed onto whatever cores there are, talking through shared memory
# (btl self,vader), with mpirun's own traffic on loopback, so no test ever reaches another host.
if(NOT TARGET distributed)
  return()
endif()

foreach(program equivalence fault)
  add_executable(test_distributed_${program} ${CMAKE_CURRENT_SOURCE_DIR}/distributed/${program}.cpp)
  target_link_libraries(test_distributed_${program} PRIVATE tapegrad::distributed tapegrad_warnings)
endforeach()

# CI runs as root, which mpirun refuses without --allow-run-as-root. vader's single-copy mechanism (CMA)
# needs ptrace rights that containers often withhold: plain copies through shared memory instead.
set(TAPEGRAD_MPIRUN ${MPIEXEC_EXECUTABLE} --oversubscribe --bind-to none --mca btl self,vader
    --mca btl_vader_single_copy_mechanism none --mca oob_tcp_if_include lo)
execute_process(COMMAND id -u OUTPUT_VARIABLE TAPEGRAD_UID OUTPUT_STRIP_TRAILING_WHITESPACE)
if(TAPEGRAD_UID STREQUAL "0")
  list(APPEND TAPEGRAD_MPIRUN --allow-run-as-root)
endif()

foreach(ranks 1 2)
  add_test(NAME MPI.DataParallelEquivalence.${ranks}Ranks
           COMMAND ${TAPEGRAD_MPIRUN} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS}
                   $<TARGET_FILE:test_distributed_equivalence> ${MPIEXEC_POSTFLAGS})
  set_tests_properties(MPI.DataParallelEquivalence.${ranks}Ranks PROPERTIES TIMEOUT 60 PROCESSORS ${ranks})
endforeach()

# A failing rank ends the job within seconds (TIMEOUT), with its reason in the output. The command and the
# patterns reach the script as one argument each, their elements joined by @@ (which the script splits).
set(TAPEGRAD_FAULT_COMMAND ${TAPEGRAD_MPIRUN} ${MPIEXEC_NUMPROC_FLAG} 2 ${MPIEXEC_PREFLAGS}
    $<TARGET_FILE:test_distributed_fault> ${MPIEXEC_POSTFLAGS})
list(JOIN TAPEGRAD_FAULT_COMMAND "@@" TAPEGRAD_FAULT_COMMAND)
add_test(NAME MPI.FaultThrow COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${TAPEGRAD_FAULT_COMMAND}@@throw"
         "-DEXPECT=rank 1: uncaught exception: injected fault: rank 1 threw at step 3; aborting every rank"
         "-DREJECT=finished all steps" -P ${CMAKE_CURRENT_SOURCE_DIR}/distributed/expect_failure.cmake)
add_test(NAME MPI.FaultKill COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${TAPEGRAD_FAULT_COMMAND}@@kill"
         "-DEXPECT=rank 1 with PID [0-9]+ on node .* exited on signal 9"
         "-DREJECT=finished all steps" -P ${CMAKE_CURRENT_SOURCE_DIR}/distributed/expect_failure.cmake)
set_tests_properties(MPI.FaultThrow MPI.FaultKill PROPERTIES TIMEOUT 30 PROCESSORS 2)

# compare_optimizers --distributed on 2 ranks prints the table of one process with the same global batch, to
# the printed digits (digits mlp, float32: the ranks' halves of a batch round differently only in the last
# bits, far below the 4 printed decimals; 10 epochs keep the run to seconds under the sanitizers too).
if(TARGET compare_optimizers)
  set(TAPEGRAD_COMPARE_ARGS --epochs 10 --seeds 2 --optimizers sgd,momentum,adam --batch 50)
  set(TAPEGRAD_COMPARE_SINGLE $<TARGET_FILE:compare_optimizers> ${TAPEGRAD_COMPARE_ARGS}
      --out ${CMAKE_CURRENT_BINARY_DIR}/compare_single)
  set(TAPEGRAD_COMPARE_DISTRIBUTED ${TAPEGRAD_MPIRUN} ${MPIEXEC_NUMPROC_FLAG} 2 ${MPIEXEC_PREFLAGS}
      $<TARGET_FILE:compare_optimizers> ${MPIEXEC_POSTFLAGS} --distributed ${TAPEGRAD_COMPARE_ARGS}
      --out ${CMAKE_CURRENT_BINARY_DIR}/compare_distributed)
  list(JOIN TAPEGRAD_COMPARE_SINGLE "@@" TAPEGRAD_COMPARE_SINGLE)
  list(JOIN TAPEGRAD_COMPARE_DISTRIBUTED "@@" TAPEGRAD_COMPARE_DISTRIBUTED)
  add_test(NAME MPI.CompareOptimizersSameTable
           COMMAND ${CMAKE_COMMAND} "-DSINGLE=${TAPEGRAD_COMPARE_SINGLE}"
                   "-DDISTRIBUTED=${TAPEGRAD_COMPARE_DISTRIBUTED}"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/distributed/same_table.cmake)
  set_tests_properties(MPI.CompareOptimizersSameTable PROPERTIES TIMEOUT 300 PROCESSORS 2
                       ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  # An error on rank 0 alone (its output folder, which the others never touch) ends both ranks with the
  # error named, instead of leaving rank 1 waiting in the first all-reduce.
  set(TAPEGRAD_COMPARE_FAULT ${TAPEGRAD_MPIRUN} ${MPIEXEC_NUMPROC_FLAG} 2 ${MPIEXEC_PREFLAGS}
      $<TARGET_FILE:compare_optimizers> ${MPIEXEC_POSTFLAGS} --distributed --epochs 1 --seeds 1
      --out ${CMAKE_CURRENT_BINARY_DIR}/CTestTestfile.cmake/out)
  list(JOIN TAPEGRAD_COMPARE_FAULT "@@" TAPEGRAD_COMPARE_FAULT)
  add_test(NAME MPI.CompareOptimizersRankZeroFails
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${TAPEGRAD_COMPARE_FAULT}"
                   "-DEXPECT=rank 0: error: --out: cannot create folder '[^']*CTestTestfile.cmake/out'"
                   "-DREJECT=\\| optimizer" -P ${CMAKE_CURRENT_SOURCE_DIR}/distributed/expect_failure.cmake)
  set_tests_properties(MPI.CompareOptimizersRankZeroFails PROPERTIES TIMEOUT 30 PROCESSORS 2)
  if(TAPEGRAD_SANITIZE MATCHES "address")  # as below
    set_tests_properties(MPI.CompareOptimizersSameTable MPI.CompareOptimizersRankZeroFails PROPERTIES
                         ENVIRONMENT_MODIFICATION "ASAN_OPTIONS=string_append::detect_leaks=0")
  endif()
endif()

# fashion_cnn --distributed prints the epoch lines of one process with the same global batch, and its
# checkpoints resume at the other world size both ways: 2 ranks for epoch 1, one process for epoch 2, 2 ranks
# for epoch 3, against 3 epochs of one process. Each printed number may differ by one unit in its last
# (4th) decimal: the ranks' halves of a batch of 128 sum their float32 gradients in another order, which
# moves the loss by about 1e-6 after these 12 steps, enough to round a 4th decimal the other way, never
# two units (and an image whose two best logits tie that closely, changing the accuracy by 1/512, does
# not occur in these 512).
if(TARGET fashion_cnn AND EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
  set(TAPEGRAD_FASHION $<TARGET_FILE:fashion_cnn> --limit 512)
  set(TAPEGRAD_FASHION_RANKS ${TAPEGRAD_MPIRUN} ${MPIEXEC_NUMPROC_FLAG} 2 ${MPIEXEC_PREFLAGS}
      $<TARGET_FILE:fashion_cnn> ${MPIEXEC_POSTFLAGS} --limit 512 --distributed)
  set(file ${CMAKE_CURRENT_BINARY_DIR}/fashion_cnn_ranks.safetensors)
  list(JOIN TAPEGRAD_FASHION "@@" reference)
  set(parts "")
  set(i 0)
  foreach(part IN ITEMS "${TAPEGRAD_FASHION_RANKS};--epochs;1;--checkpoint;${file}"
                        "${TAPEGRAD_FASHION};--epochs;2;--resume;${file};--checkpoint;${file}"
                        "${TAPEGRAD_FASHION_RANKS};--epochs;3;--resume;${file}")
    math(EXPR i "${i} + 1")
    list(JOIN part "@@" part)
    list(APPEND parts "-DPART${i}=${part}")
  endforeach()
  add_test(NAME MPI.FashionCnnDataParallelResumes
           COMMAND ${CMAKE_COMMAND} "-DREFERENCE=${reference}@@--epochs@@3" ${parts} -DTOLERANCE=1
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/same_epochs.cmake)
  set_tests_properties(MPI.FashionCnnDataParallelResumes PROPERTIES TIMEOUT 300 PROCESSORS 2
                       ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
  if(TAPEGRAD_SANITIZE MATCHES "address")  # as below
    set_tests_properties(MPI.FashionCnnDataParallelResumes PROPERTIES
                         ENVIRONMENT_MODIFICATION "ASAN_OPTIONS=string_append::detect_leaks=0")
  endif()
endif()

# Under AddressSanitizer (scripts/sanitize.sh) the MPI tests keep every check but the leak check: Open MPI
# leaves about 120 kB in some 3,000 allocations at MPI_Finalize, from components it has dlclose'd by then,
# so LeakSanitizer can neither name nor suppress them narrowly (lsan.supp). tapegrad's own allocations
# are the Tensors every other test checks for leaks.
if(TAPEGRAD_SANITIZE MATCHES "address")
  set_tests_properties(MPI.DataParallelEquivalence.1Ranks MPI.DataParallelEquivalence.2Ranks MPI.FaultThrow
                       MPI.FaultKill PROPERTIES ENVIRONMENT_MODIFICATION "ASAN_OPTIONS=string_append::detect_leaks=0")
endif()
