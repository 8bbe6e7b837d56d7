# farrt_support: the runtime's support layer (configuration, embedded memory server, fatal-error and
# safety-net reporting, statistics). An OBJECT library so both libfarrt.a and libfarrt.so take it in.
add_library(farrt_support OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/config.c
  ${CMAKE_CURRENT_LIST_DIR}/embedded.c
  ${CMAKE_CURRENT_LIST_DIR}/embedded_find.c
  ${CMAKE_CURRENT_LIST_DIR}/embedded_spawn.c
  ${CMAKE_CURRENT_LIST_DIR}/report.c
  ${CMAKE_CURRENT_LIST_DIR}/safety_net.c
  ${CMAKE_CURRENT_LIST_DIR}/fault_decode.c
  ${CMAKE_CURRENT_LIST_DIR}/stats.c
  ${CMAKE_CURRENT_LIST_DIR}/stats_sites.c)
set_target_properties(farrt_support PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(farrt_support PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(farrt_support PUBLIC PkgConfig::LIBUNWIND Threads::Threads ${CMAKE_DL_LIBS})
