# File operations against a throwaway Samba (included by tests/integration/CMakeLists.txt).
# test_files builds its own fixture under $ASMB_TEST_DIR/share; ASMB_TEST_QUICK=1 skips
# the 5 GiB file and the 100,000-entry folder.
add_executable(test_files ${CMAKE_CURRENT_LIST_DIR}/test_files.c)
target_include_directories(test_files PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(test_files PRIVATE asmb PkgConfig::CRYPTO) # public API; OpenSSL for SHA-256
samba_test(integration/files COMMAND $<TARGET_FILE:test_files>)
set_tests_properties(integration/files PROPERTIES TIMEOUT 1800)
