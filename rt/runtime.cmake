# farrt: the runtime core (far heap, object table, barriers, scopes, local cache, evacuator,
# prefetcher, far-aware libc helpers). libfarrt.a and libfarrt.so each carry the whole runtime (core,
# support layer, network client and codec), so `-lfarrt` plus its system libraries is all a program
# needs (see farrt.pc).
set(FARRT_CORE_SOURCES export.c table.c cache.c scope.c heap.c group.c runs.c live.c miss.c straddle.c flush.c offload.c evac.c prefetch.c
                       libc.c init.c)
list(TRANSFORM FARRT_CORE_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)

add_library(farrt_core OBJECT ${FARRT_CORE_SOURCES})
set_target_properties(farrt_core PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(farrt_core PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>
                                      PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(farrt_core PUBLIC farrt_support farnet farwire PkgConfig::MSGPACK
                                        PkgConfig::LIBUNWIND Threads::Threads)

set(FARRT_OBJECTS $<TARGET_OBJECTS:farrt_core> $<TARGET_OBJECTS:farrt_support>
                  $<TARGET_OBJECTS:farnet> $<TARGET_OBJECTS:farwire>)
add_library(farrt STATIC ${FARRT_OBJECTS})
add_library(farrt_shared SHARED ${FARRT_OBJECTS})
set_target_properties(farrt_shared PROPERTIES OUTPUT_NAME farrt VERSION ${PROJECT_VERSION}
                                              SOVERSION ${PROJECT_VERSION_MAJOR})
foreach(lib farrt farrt_shared)
  target_include_directories(${lib} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>
                                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${lib} PUBLIC PkgConfig::MSGPACK PkgConfig::LIBUNWIND Threads::Threads
                                      ${CMAKE_DL_LIBS})
endforeach()

# Installation: libraries, the public headers, farrt.pc and a CMake package (find_package(farrt)).
install(TARGETS farrt farrt_shared EXPORT farrtTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/include/far/rt.h ${CMAKE_CURRENT_LIST_DIR}/include/far/stats.h
              ${CMAKE_CURRENT_LIST_DIR}/include/far/libc_types.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/far)
# farrt.pc finds the prefix relative to itself, so it stays right under `cmake --install --prefix`.
file(RELATIVE_PATH FARRT_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_CURRENT_LIST_DIR}/farrt.pc.in ${CMAKE_BINARY_DIR}/farrt.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/farrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(EXPORT farrtTargets NAMESPACE farrt:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/farrt)
configure_file(${CMAKE_CURRENT_LIST_DIR}/farrtConfig.cmake.in ${CMAKE_BINARY_DIR}/farrtConfig.cmake @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/farrtConfig.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/farrt)
