# Script mode: install, configure the consumer against the prefix, build it and run it.
file(REMOVE_RECURSE ${PREFIX} ${PREFIX}-consumer)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} COMMAND_ERROR_IS_FATAL ANY
                OUTPUT_QUIET)
# The exported link interface names only what a user links: no empty $<LINK_ONLY:> entries.
file(GLOB_RECURSE targets_file ${PREFIX}/*/tapegradTargets.cmake)
file(READ ${targets_file} targets)
if(targets MATCHES "LINK_ONLY:>")
  message(FATAL_ERROR "tapegradTargets.cmake has an empty $<LINK_ONLY:> entry in its link interface")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${PREFIX}-consumer -DCMAKE_PREFIX_PATH=${PREFIX}
                        -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${PREFIX}-consumer COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
execute_process(COMMAND ${PREFIX}-consumer/consumer COMMAND_ERROR_IS_FATAL ANY)
