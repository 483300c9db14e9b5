# Script mode: writes the King James Bible as plain text, one verse a line without its reference, for
# char_rnn's default --text. Debian's bible-kjv-text ships the text compressed in a format of its own
# (/usr/lib/bible.data), which only its bible program (package bible-kjv) reads; its copyright file says the
# text's copyright has expired (the translation dates from 1611).
#   cmake -DBIBLE=/usr/bin/bible -DOUT=build/data/kjv.txt -P cmake/kjv_text.cmake
# bible -f prints "Ge1:1 In the beginning ..." a verse a line; the reference is cut off so that the model
# learns English, not verse numbers.
execute_process(COMMAND ${BIBLE} -f gen1:1-rev22:21 INPUT_FILE /dev/null OUTPUT_VARIABLE text
                RESULT_VARIABLE code ERROR_VARIABLE errors)
if(NOT code EQUAL 0 OR NOT text MATCHES "^Ge1:1 In the beginning God created the heaven and the earth")
  message(FATAL_ERROR "kjv_text: '${BIBLE} -f gen1:1-rev22:21' failed (exit ${code}): ${errors}")
endif()
string(REGEX REPLACE "(^|\n)[1-3]?[A-Za-z]+[0-9]+:[0-9]+ " "\\1" text "${text}")
get_filename_component(folder "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${folder}")
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")  # a build stopped halfway leaves no truncated text behind
