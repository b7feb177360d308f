# File operations against a throwaway Samba (included by tests/integration/CMakeLists.txt),
# in two programs on one fixture (fixture.h), each built under $ASMB_TEST_DIR/share of its
# own server: test_files (listing, attributes, rename, folders, delete, errors, every
# dialect) and test_transfer (retrieve, store, offsets, concurrency, 5 GiB, cancel).
# ASMB_TEST_QUICK=1 skips the 5 GiB file and the 100,000-entry folder.
foreach(prog test_files test_transfer)
  add_executable(${prog} ${CMAKE_CURRENT_LIST_DIR}/${prog}.c)
  target_include_directories(${prog} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${prog} PRIVATE asmb PkgConfig::CRYPTO) # public API; OpenSSL for SHA-256
endforeach()
samba_test(integration/files COMMAND $<TARGET_FILE:test_files>)
samba_test(integration/transfer COMMAND $<TARGET_FILE:test_transfer>)
set_tests_properties(integration/files integration/transfer PROPERTIES TIMEOUT 1800)
