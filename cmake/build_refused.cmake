# Builds TARGET in BINARY_DIR and succeeds when the build FAILED WITH the message EXPECT, the
# proof that a poisoned header stopped it. The ctest that runs this script has WILL_FAIL set, so
# this script must fail exactly when the refusal is there, and succeed (making the test fail) when
# the target built or broke for another reason.
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target ${TARGET}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message("${output}")
string(FIND "${output}" "${EXPECT}" at)
if(NOT status EQUAL 0 AND at GREATER -1)
  message(FATAL_ERROR "${TARGET} was refused as expected: ${EXPECT}")
endif()
message("${TARGET} was not refused with \"${EXPECT}\" (build status ${status})")
