# Copies the headers under RUNTIME_DIR, PLUGIN_DIR, DS_DIR and OFFLOAD_DIR (subdirectories included)
# into OUT; file(COPY) skips files that are up to date.
foreach(dir ${RUNTIME_DIR} ${PLUGIN_DIR} ${DS_DIR} ${OFFLOAD_DIR})
  if(IS_DIRECTORY ${dir})
    file(COPY ${dir}/ DESTINATION ${OUT} FILES_MATCHING PATTERN "*.h")
  endif()
endforeach()
