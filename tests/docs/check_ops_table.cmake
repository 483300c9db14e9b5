# Script mode (-DSOURCE=<source dir>): checks docs/ops.md, the table of PyTorch's ops with tapegrad's
# spellings, against the public headers; run by CTest as Docs.OpsTable. Two directions:
#
# 1. A row whose status starts with yes or partial lists spellings (the `quoted` names of its tapegrad
#    column; a trailing `(args)` or `<T>` is ignored) that must each be declared in a header of its header
#    column (include paths, `tapegrad/...`, under autograd/, nn/ or distributed/include); a spelling in a row
#    marked no must not be (planned rows are not checked, so that an op may land before its row flips):
#    - `Class::member` (the part before the last is capitalised): a public or protected member of class
#      or struct Class, found in its body;
#    - `ns::name`, or a bare `operator+`: a function, type or constant declared at namespace level (on a
#      line starting in column 0, outside detail namespaces) in a header that opens namespace ns (tg).
# 2. Every free function declared at namespace level in a public header (autograd/include/tapegrad/*.hpp,
#    nn/include/tapegrad/*.hpp and its nn/ and optim/ folders, distributed/include/tapegrad/distributed/*.hpp,
#    which are checked whether or not MPI is there to build them; detail namespaces left out) must be named
#    by a row that lists that header, so that no op is added without a line in the table. A planned row
#    counts wherever the function lands, since its header is a guess until then.
#
# Statuses are yes, partial, no and planned (the first word of the cell counts). Every problem is
# reported, each naming the row (file:line and its PyTorch column) or the header and function.

cmake_minimum_required(VERSION 3.20)  # IN_LIST and list(JOIN) in script mode

if(NOT SOURCE)
  message(FATAL_ERROR "usage: cmake -DSOURCE=<tapegrad source dir> -P check_ops_table.cmake")
endif()
set(table_file "${SOURCE}/docs/ops.md")
set(errors "")

function(report message)
  set(errors "${errors}  ${message}\n" PARENT_SCOPE)
endfunction()

# CMake lists split on ';' and do not split inside '[...]', so both are hidden while text is a list (of
# lines, or of matches), and put back in each element taken out of it.
function(hide_list_characters text out)
  string(REPLACE ";" "@SC@" text "${text}")
  string(REPLACE "[" "@LB@" text "${text}")
  string(REPLACE "]" "@RB@" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
function(to_lines text out)
  hide_list_characters("${text}" text)
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
function(from_line line out)
  string(REPLACE "@SC@" ";" line "${line}")
  string(REPLACE "@LB@" "[" line "${line}")
  string(REPLACE "@RB@" "]" line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()

# A name as a regular expression matching itself (operators are full of special characters).
function(regex_escape name out)
  string(REGEX REPLACE "([][.*+?^$|()\\\\])" "\\\\\\1" name "${name}")
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

# The absolute path of an include path such as tapegrad/nn/layers.hpp, or "" when no such header exists.
function(resolve_header include out)
  set(${out} "" PARENT_SCOPE)
  foreach(root autograd/include nn/include distributed/include)
    if(EXISTS "${SOURCE}/${root}/${include}")
      set(${out} "${SOURCE}/${root}/${include}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

# Reads a header once: HEADER_TEXT_<id> is its text without comments; HEADER_TOP_<id> its lines that start
# in column 0 outside detail namespaces, each after a "\n" (so that "\n" anchors a line start), with
# decltype(auto) spelled without parentheses so that a return type never looks like a call.
function(load_header path id)
  if(DEFINED HEADER_TEXT_${id})
    return()
  endif()
  file(READ "${path}" text)
  string(REGEX REPLACE "//[^\n]*" "" text "${text}")
  set(HEADER_TEXT_${id} "${text}" PARENT_SCOPE)
  to_lines("${text}" lines)
  set(top "")
  set(in_detail FALSE)
  foreach(line IN LISTS lines)
    if(in_detail)
      if(line MATCHES "^}" AND NOT line MATCHES "^};")
        set(in_detail FALSE)
      endif()
    elseif(line MATCHES "^namespace (tg::)?detail {")
      set(in_detail TRUE)
    elseif(line MATCHES "^[^ \t#]")
      from_line("${line}" line)
      string(APPEND top "\n${line}")
    endif()
  endforeach()
  string(REPLACE "decltype(auto)" "decltype_auto" top "${top}")
  set(HEADER_TOP_${id} "${top}\n" PARENT_SCOPE)
endfunction()

# Sets <out> to TRUE when `spelling` (already stripped of its hints) is declared in the header <path>.
function(declared_in spelling path out)
  set(${out} FALSE PARENT_SCOPE)
  string(MAKE_C_IDENTIFIER "${path}" id)
  load_header("${path}" ${id})
  set(text "${HEADER_TEXT_${id}}")
  set(top "${HEADER_TOP_${id}}")
  string(REGEX MATCH "^(.*)::([^:]+)$" qualified "${spelling}")
  if(qualified)
    set(scope "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
  else()
    set(scope "tg")
    set(name "${spelling}")
  endif()
  regex_escape("${name}" ename)
  string(REGEX MATCH "([^:]+)$" owner "${scope}")
  if(owner MATCHES "^[A-Z]")
    # A member: search the body of class or struct <owner>, up to its private section.
    regex_escape("${owner}" eowner)
    string(REGEX MATCH "(class|struct)[ ]+${eowner}([ :][^;{]*)?{" opening "${text}")
    if(NOT opening)
      return()
    endif()
    string(FIND "${text}" "${opening}" start)
    string(LENGTH "${opening}" length)
    math(EXPR start "${start} + ${length}")
    string(SUBSTRING "${text}" ${start} -1 body)
    string(REGEX MATCH "^[^\n]*};" one_line "${body}")
    if(one_line)
      set(body "${one_line}")
    else()
      string(FIND "${body}" "\n};" end)
      string(SUBSTRING "${body}" 0 ${end} body)
    endif()
    string(FIND "${body}" "\n private:" private)
    if(private GREATER -1)
      string(SUBSTRING "${body}" 0 ${private} body)
    endif()
    # Declared after a type (`Tensor& fill_(`, `Tensor weight;`), not called from an inline body (`return body(`).
    string(REGEX MATCHALL "([A-Za-z0-9_]+|[>&*])[ ]+${ename}[ ]*[(=,{};]" uses "${body}")
    foreach(use IN LISTS uses)
      if(NOT use STREQUAL "" AND NOT use MATCHES "^(return|throw|else|new|delete|case)[ ]")
        set(${out} TRUE PARENT_SCOPE)
      endif()
    endforeach()
    return()
  endif()
  # At namespace level, in a header that opens the spelling's namespace.
  string(FIND "${text}" "namespace ${scope} {" opens)
  if(opens EQUAL -1)
    return()
  endif()
  if(top MATCHES "\n[^\n=(]*[^A-Za-z0-9_\n]${ename}\\("                                   # function
     OR top MATCHES "\n(class|struct|enum class|enum)[ ]+${ename}[^A-Za-z0-9_]"             # type
     OR top MATCHES "\nusing[ ]+${ename}[ ]*="                                              # alias
     OR top MATCHES "\n(inline )?(constexpr|constinit)[^\n=(]*[^A-Za-z0-9_]${ename}[ ]*=") # constant
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

# The C++ name in a `span` of the tapegrad column, without its hint: operator+ and Tensor::operator[] as
# they are, tg::max(x, dim) as tg::max, Tensor::item<T> as Tensor::item; "" if the span is no name.
function(spelling_of span out)
  set(${out} "" PARENT_SCOPE)
  if(span MATCHES "^(([A-Za-z0-9_]+::)*operator[^A-Za-z0-9_ ]+)$")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(span MATCHES "^([A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*)(\\(.*\\)|<.*>)?$")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endif()
endfunction()

# Sets <out> to "" when `spelling` is declared in one of the include paths <headers>, else to the problem.
function(check_declared where status spelling headers out)
  foreach(include IN LISTS headers)
    resolve_header("${include}" path)
    declared_in("${spelling}" "${path}" found)
    if(found)
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  list(JOIN headers " or " header_list)
  set(${out} "${where}: `${spelling}` is marked ${status}, but ${header_list} does not declare it" PARENT_SCOPE)
endfunction()

# ---- the table ----

file(READ "${table_file}" table)
string(REPLACE "\\|" "@PIPE@" table "${table}")  # a | inside a cell is written \|
to_lines("${table}" lines)
set(line_number 0)
set(rows 0)
set(checked 0)
set(documented "")       # "<include>|<name>" for every spelling of every row
set(planned_names "")    # names of planned rows, counted wherever they are declared
foreach(line IN LISTS lines)
  math(EXPR line_number "${line_number} + 1")
  if(NOT line MATCHES "^\\|" OR line MATCHES "^\\|---" OR line MATCHES "^\\| PyTorch \\|")
    continue()
  endif()
  math(EXPR rows "${rows} + 1")
  string(REGEX REPLACE "^\\|(.*)\\|$" "\\1" inner "${line}")
  string(REPLACE "|" ";" cells "${inner}")
  list(LENGTH cells cell_count)
  from_line("${line}" shown)
  string(REPLACE "@PIPE@" "|" shown "${shown}")
  if(NOT cell_count EQUAL 5)
    report("docs/ops.md:${line_number}: ${cell_count} columns instead of 5: ${shown}")
    continue()
  endif()
  list(GET cells 0 pytorch)
  list(GET cells 1 spellings_cell)
  list(GET cells 2 headers_cell)
  list(GET cells 3 status)
  from_line("${pytorch}" pytorch)
  string(REPLACE "@PIPE@" "|" pytorch "${pytorch}")
  string(STRIP "${pytorch}" pytorch)
  set(where "docs/ops.md:${line_number} (${pytorch})")
  string(STRIP "${status}" status)
  string(REGEX MATCH "^[a-z]+" status_word "${status}")
  if(NOT status_word MATCHES "^(yes|partial|no|planned)$")
    report("${where}: the status '${status}' does not start with yes, partial, no or planned")
    continue()
  endif()

  string(REGEX MATCHALL "`[^`]+`" spelling_spans "${spellings_cell}")
  string(REGEX MATCHALL "`[^`]+`" header_spans "${headers_cell}")
  set(headers "")
  foreach(span IN LISTS header_spans)
    string(REGEX REPLACE "^`(.*)`$" "\\1" include "${span}")
    resolve_header("${include}" path)
    if(NOT path)
      report("${where}: no header ${include} under autograd/include, nn/include or distributed/include")
    else()
      list(APPEND headers "${include}")
    endif()
  endforeach()
  if(status_word MATCHES "^(yes|partial)$" AND (NOT spelling_spans OR NOT header_spans))
    report("${where}: a '${status_word}' row needs a spelling in its tapegrad column and a header")
    continue()
  endif()

  foreach(span IN LISTS spelling_spans)
    from_line("${span}" span)
    string(REPLACE "@PIPE@" "|" span "${span}")
    string(REGEX REPLACE "^`(.*)`$" "\\1" span "${span}")
    spelling_of("${span}" spelling)
    if(NOT spelling)
      report("${where}: `${span}` in the tapegrad column is not a C++ name")
      continue()
    endif()
    string(REGEX REPLACE "^.*::" "" last "${spelling}")
    foreach(include IN LISTS headers)
      list(APPEND documented "${include}|${last}")
    endforeach()
    if(status_word STREQUAL "planned")
      list(APPEND planned_names "${last}")
    endif()
    if(status_word STREQUAL "planned")
      continue()
    endif()
    math(EXPR checked "${checked} + 1")
    check_declared("${where}" ${status_word} "${spelling}" "${headers}" problem)
    if(problem AND NOT status_word STREQUAL "no")
      report("${problem}")
    elseif(NOT problem AND status_word STREQUAL "no")
      list(JOIN headers " or " header_list)
      report("${where}: `${spelling}` is marked no, but ${header_list} declares it")
    endif()
  endforeach()
endforeach()

# ---- the headers ----

file(GLOB public_headers RELATIVE "${SOURCE}/autograd/include" "${SOURCE}/autograd/include/tapegrad/*.hpp")
file(GLOB nn_headers RELATIVE "${SOURCE}/nn/include" "${SOURCE}/nn/include/tapegrad/*.hpp"
     "${SOURCE}/nn/include/tapegrad/nn/*.hpp" "${SOURCE}/nn/include/tapegrad/optim/*.hpp")
file(GLOB distributed_headers RELATIVE "${SOURCE}/distributed/include"
     "${SOURCE}/distributed/include/tapegrad/distributed/*.hpp")
list(APPEND public_headers ${nn_headers} ${distributed_headers})
set(functions 0)
foreach(include IN LISTS public_headers)
  resolve_header("${include}" path)
  string(MAKE_C_IDENTIFIER "${path}" id)
  load_header("${path}" ${id})
  hide_list_characters("${HEADER_TOP_${id}}" top)
  string(REGEX MATCHALL "\n[^\n=(]*[^A-Za-z0-9_\n](operator[^A-Za-z0-9_ (]+|[A-Za-z_][A-Za-z0-9_]*)\\("
         declarations "${top}")
  set(seen "")
  foreach(declaration IN LISTS declarations)
    if(declaration MATCHES "^\n(namespace|class|struct|enum|using|template|static_assert)[^A-Za-z0-9_]")
      continue()
    endif()
    string(REGEX REPLACE "^.*[^A-Za-z0-9_](operator[^A-Za-z0-9_ (]+|[A-Za-z_][A-Za-z0-9_]*)\\($" "\\1" name
           "${declaration}")
    if(name IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${name}")
    math(EXPR functions "${functions} + 1")
    if(NOT "${include}|${name}" IN_LIST documented AND NOT name IN_LIST planned_names)
      report("${include} declares ${name}(), but no row of docs/ops.md names it with that header")
    endif()
  endforeach()
endforeach()

if(errors)
  message(FATAL_ERROR "docs/ops.md disagrees with the headers:\n${errors}")
endif()
message(STATUS "docs/ops.md: ${rows} rows, ${checked} spellings checked against their headers, "
               "${functions} public free functions all listed")
