# A program under mpirun against the same program run plainly (tests/mpi/CMakeLists.txt).
#   MODE=compare:  PROGRAM ARGS --csv=serial.csv and MPIEXEC NPFLAG NP FLAGS PROGRAM ARGS
#                  --csv=ranks.csv: exit 0, identical CSV files, stdout and stderr; then a
#                  checkpointed run over the ranks resumed by one process: the same CSV again
#                  (langevin_ensemble only).
#   MODE=mismatch: two ranks started with different --seed: exit 2, one line naming the flag.
#   MODE=network:  network_experiment ARGS --out=serial and under MPIEXEC NP ranks --out=ranks
#                  (the second time in two sittings: --stop-after=1, then the rest): the same
#                  CSV files, equal except the wall-clock `seconds` column.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
separate_arguments(args UNIX_COMMAND "${ARGS}")
separate_arguments(flags UNIX_COMMAND "${FLAGS}")

if(MODE STREQUAL "mismatch")
  execute_process(COMMAND ${MPIEXEC} ${NPFLAG} 1 ${flags} ${PROGRAM} --seed=1 --particles=100 --csv=${WORK}/x.csv :
                          ${NPFLAG} 1 ${flags} ${PROGRAM} --seed=2 --particles=100 --csv=${WORK}/x.csv
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "mismatched options across MPI ranks: rank 1 has '--seed=2' where rank 0 has '--seed=1'")
    message(FATAL_ERROR "expected a mismatch error, got exit ${rc}, stderr:\n${err}")
  endif()
  if(EXISTS ${WORK}/x.csv)
    message(FATAL_ERROR "a failed run left ${WORK}/x.csv")
  endif()
  return()
endif()

if(MODE STREQUAL "network")
  execute_process(COMMAND ${PROGRAM} ${args} --out=${WORK}/serial RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "serial run failed (${rc}): ${err}")
  endif()
  execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${NP} ${flags} ${PROGRAM} ${args} --out=${WORK}/ranks --stop-after=1
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${NP} ${flags} ${PROGRAM} ${args} --out=${WORK}/ranks
                  RESULT_VARIABLE rc2 ERROR_VARIABLE err2)
  if(NOT rc EQUAL 0 OR NOT rc2 EQUAL 0)
    message(FATAL_ERROR "runs over ${NP} ranks failed (${rc}, ${rc2}): ${err}${err2}")
  endif()
  file(GLOB tables RELATIVE ${WORK}/serial ${WORK}/serial/*.csv)
  list(LENGTH tables n)
  if(n EQUAL 0)
    message(FATAL_ERROR "the serial run wrote no CSV")
  endif()
  foreach(t IN LISTS tables)
    if(NOT EXISTS ${WORK}/ranks/${t})
      message(FATAL_ERROR "the run over ${NP} ranks did not complete ${t}")
    endif()
    foreach(which serial ranks)
      file(READ ${WORK}/${which}/${t} text)
      if(text MATCHES ",seconds\n")  # drop the last field of every line
        string(REGEX REPLACE ",[^,\n]*\n" "\n" text "${text}")
      endif()
      set(${which} "${text}")
    endforeach()
    if(NOT serial STREQUAL ranks)
      message(FATAL_ERROR "${t} over ${NP} ranks differs from the serial run (${WORK})")
    endif()
  endforeach()
  file(REMOVE_RECURSE ${WORK})
  return()
endif()

execute_process(COMMAND ${PROGRAM} ${args} --csv=${WORK}/serial.csv
                RESULT_VARIABLE rc OUTPUT_VARIABLE out1 ERROR_VARIABLE err1)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "serial run failed (${rc}): ${err1}")
endif()
execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${NP} ${flags} ${PROGRAM} ${args} --csv=${WORK}/ranks.csv
                RESULT_VARIABLE rc OUTPUT_VARIABLE out2 ERROR_VARIABLE err2)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "run over ${NP} ranks failed (${rc}): ${err2}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/serial.csv ${WORK}/ranks.csv RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "the CSV over ${NP} ranks differs from the serial one (${WORK})")
endif()
# The summary's wall-clock seconds differ from run to run: compare stdout without them.
string(REGEX REPLACE "\\([0-9.]+ s\\)" "" out1 "${out1}")
string(REGEX REPLACE "\\([0-9.]+ s\\)" "" out2 "${out2}")
# stderr: the programs' own lines (a note from the MPI runtime about the machine is not ours).
function(own_lines text out)
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(kept "")
  foreach(l IN LISTS lines)
    if(l MATCHES "^(langevin_ensemble|synthetic_basins):")
      string(APPEND kept "${l}\n")
    endif()
  endforeach()
  set(${out} "${kept}" PARENT_SCOPE)
endfunction()
own_lines("${err1}" err1)
own_lines("${err2}" err2)
if(NOT out1 STREQUAL out2 OR NOT err1 STREQUAL err2)
  message(FATAL_ERROR "stdout/stderr over ${NP} ranks differ:\n--- serial\n${out1}${err1}\n--- ranks\n${out2}${err2}")
endif()

if(PROGRAM MATCHES "langevin_ensemble")
  execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${NP} ${flags} ${PROGRAM} ${args} --checkpoint=${WORK}/run.ckpt
                          --checkpoint-every=0 --csv=${WORK}/ckpt.csv RESULT_VARIABLE rc ERROR_VARIABLE err)
  execute_process(COMMAND ${PROGRAM} ${args} --checkpoint=${WORK}/run.ckpt --resume --csv=${WORK}/resumed.csv
                  RESULT_VARIABLE rc2 ERROR_VARIABLE err2)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/serial.csv ${WORK}/resumed.csv RESULT_VARIABLE diff)
  if(NOT rc EQUAL 0 OR NOT rc2 EQUAL 0 OR NOT diff EQUAL 0)
    message(FATAL_ERROR "checkpoint over ${NP} ranks, resumed serially: exit ${rc}/${rc2}, CSV differs: ${diff}\n${err}${err2}")
  endif()
endif()
file(REMOVE_RECURSE ${WORK})
