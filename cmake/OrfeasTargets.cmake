# orfeas_library(NAME SOURCES ... DEPS ...): the static library of one folder, orfeas_NAME.
function(orfeas_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(orfeas_${name} STATIC ${ARG_SOURCES})
  target_include_directories(orfeas_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(orfeas_${name} PUBLIC ${ARG_DEPS})
endfunction()

# orfeas_test(NAME SOURCES ... DEPS ... [LABELS ...] [PROPERTIES ...]): one GoogleTest binary,
# NAME_test, whose tests CTest discovers one by one, each with the given test properties. Tests run
# with the source tree's tests/data as ORFEAS_TEST_DATA.
function(orfeas_test name)
  if(NOT ORFEAS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name}_test ${ARG_SOURCES})
  target_link_libraries(${name}_test PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name}_test PRIVATE
    ORFEAS_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    ORFEAS_PYTHON="${Python3_EXECUTABLE}")
  gtest_discover_tests(${name}_test
    PROPERTIES LABELS "${ARG_LABELS}" ${ARG_PROPERTIES}
    DISCOVERY_TIMEOUT 60)
endfunction()
