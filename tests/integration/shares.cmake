# Shares (srvsvc NetrShareEnum) and snapshots (FSCTL_SRV_ENUMERATE_SNAPSHOTS, TWrp)
# against a throwaway Samba (included by tests/integration/CMakeLists.txt).
add_executable(test_shares ${CMAKE_CURRENT_LIST_DIR}/test_shares.c)
target_include_directories(test_shares PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(test_shares PRIVATE asmb) # the shared library: public API only
samba_test(integration/shares COMMAND $<TARGET_FILE:test_shares>)

# A server with 400 more shares: the NetrShareEnum reply spans many DCE/RPC
# fragments, read off the pipe after the first IOCTL (STATUS_BUFFER_OVERFLOW).
# The extra sections come in through an include at the end of [global].
set(ASMB_MANY_SHARES 400)
set(many_conf "")
math(EXPR last "${ASMB_MANY_SHARES} - 1")
foreach(i RANGE ${last})
  string(LENGTH "${i}" len)
  math(EXPR pad "4 - ${len}")
  string(REPEAT "0" ${pad} zeros)
  string(APPEND many_conf "[many${zeros}${i}]\n\tpath = /tmp\n\tread only = yes\n"
                          "\tcomment = generated share number ${i}\n")
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/many_shares.conf "${many_conf}")
samba_test(integration/shares_many
  SERVER --extra "include = ${CMAKE_CURRENT_BINARY_DIR}/many_shares.conf"
  COMMAND $<TARGET_FILE:test_shares> many ${ASMB_MANY_SHARES})
