# A program under mpirun against the same program run plainly (tests/mpi/CMakeLists.txt).
#   MODE=compare:  PROGRAM ARGS --csv=serial.csv and MPIEXEC NPFLAG NP FLAGS PROGRAM ARGS
#                  --csv=ranks.csv: exit 0, identical CSV files, stdout and stderr; then a
#                  checkpointed run over the ranks resumed by one process: the same CSV again
#                  (langevin_ensemble only).
#   MODE=mismatch: two ranks started with different --seed: exit 2, one line naming the flag.
#   MODE=network:  network_experiment ARGS --out=serial and under MPIEXEC NP ranks --out=ranks
#                  (the second time in two sittings: --stop-after=1, then the rest): the same
#                  CSV files, equal except the wall-clock `seconds` column.
#   MODE=sittings: network_experiment ARGS --out=serial, then each run of RUNS ("np:stop,..."
#                  sittings, runs separated by '|'; stop 0: no --stop-after) in its own --out:
#                  every run's CSV files equal the serial run's but `seconds` (resumed with
#                  another rank count than the one that stopped).
#   MODE=failure:  network_experiment ARGS, whose last unit fails, over NP ranks (that unit on
#                  rank NP-1) and plainly: exit 1 both, the one error line of the serial run,
#                  the failed part left as .partial (the finished rounds' rows), no .csv.
#   MODE=checkpoint: test_mpi's "checkpoint across rank counts" cases: written under 2 ranks,
#                  resumed under 1 and under 3 ranks from copies of that checkpoint.
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

# The CSV files of directory `a` against those of `b`, equal but the `seconds` column.
function(compare_tables a b)
  file(GLOB tables RELATIVE ${a} ${a}/*.csv)
  list(LENGTH tables n)
  if(n EQUAL 0)
    message(FATAL_ERROR "${a}: no CSV")
  endif()
  foreach(t IN LISTS tables)
    if(NOT EXISTS ${b}/${t})
      message(FATAL_ERROR "${b} has no complete ${t}")
    endif()
    foreach(which a b)
      file(READ ${${which}}/${t} text)
      if(text MATCHES ",seconds\n")  # drop the last field of every line
        string(REGEX REPLACE ",[^,\n]*\n" "\n" text "${text}")
      endif()
      set(text_${which} "${text}")
    endforeach()
    if(NOT text_a STREQUAL text_b)
      message(FATAL_ERROR "${b}/${t} differs from ${a}/${t}")
    endif()
  endforeach()
endfunction()

# The lines of `text` that network_experiment wrote (not the MPI runtime's notes).
function(own_network_lines text out)
  string(REPLACE ";" "\\;" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(kept "")
  foreach(l IN LISTS lines)
    if(l MATCHES "^network_experiment:")
      list(APPEND kept "${l}")
    endif()
  endforeach()
  set(${out} "${kept}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "sittings")
  execute_process(COMMAND ${PROGRAM} ${args} --out=${WORK}/serial RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "serial run failed (${rc}): ${err}")
  endif()
  string(REPLACE "|" ";" runs "${RUNS}")
  set(k 0)
  foreach(run IN LISTS runs)
    math(EXPR k "${k} + 1")
    string(REPLACE "," ";" sittings "${run}")
    foreach(sitting IN LISTS sittings)
      string(REPLACE ":" ";" ns "${sitting}")
      list(GET ns 0 np)
      list(GET ns 1 stop)
      set(more "")
      if(stop GREATER 0)
        set(more --stop-after=${stop})
      endif()
      execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${np} ${flags} ${PROGRAM} ${args} --out=${WORK}/run${k} ${more}
                      RESULT_VARIABLE rc ERROR_VARIABLE err)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "run ${run}, sitting ${sitting} failed (${rc}): ${err}")
      endif()
    endforeach()
    compare_tables(${WORK}/serial ${WORK}/run${k})
  endforeach()
  file(REMOVE_RECURSE ${WORK})
  return()
endif()

if(MODE STREQUAL "failure")
  execute_process(COMMAND ${PROGRAM} ${args} --out=${WORK}/serial RESULT_VARIABLE rc1 ERROR_VARIABLE err1)
  execute_process(COMMAND ${MPIEXEC} ${NPFLAG} ${NP} ${flags} ${PROGRAM} ${args} --out=${WORK}/ranks
                  RESULT_VARIABLE rc2 ERROR_VARIABLE err2)
  foreach(which 1 2)
    own_network_lines("${err${which}}" own)
    set(errors "")
    foreach(l IN LISTS own)
      if(NOT l MATCHES "^network_experiment: part [0-9]+ \\(")  # progress lines
        list(APPEND errors "${l}")
      endif()
    endforeach()
    list(LENGTH errors n)
    if(NOT rc${which} EQUAL 1 OR NOT n EQUAL 1)
      message(FATAL_ERROR "run ${which} (1 serial, 2 over ${NP} ranks): expected exit 1 and one error line, got exit "
                          "${rc${which}} and ${n} lines:\n${err${which}}")
    endif()
    set(error${which} "${errors}")
  endforeach()
  if(NOT error1 STREQUAL error2)
    message(FATAL_ERROR "the error over ${NP} ranks differs from the serial one:\n${error1}\n${error2}")
  endif()
  # No table of the failed part passes for complete; its .partial holds the rounds that finished.
  file(GLOB complete ${WORK}/ranks/*.csv)
  file(GLOB partial ${WORK}/ranks/*.csv.partial)
  if(complete OR NOT partial)
    message(FATAL_ERROR "a failed run left complete tables (${complete}) or no .partial")
  endif()
  file(STRINGS ${WORK}/ranks/${DONE_TABLE}.csv.partial lines)
  list(LENGTH lines n)
  math(EXPR rows "${n} - 2")
  if(NOT rows EQUAL ${ROWS})
    message(FATAL_ERROR "${DONE_TABLE}.csv.partial holds ${rows} rows, expected ${ROWS} (the finished rounds)")
  endif()
  file(REMOVE_RECURSE ${WORK})
  return()
endif()

if(MODE STREQUAL "checkpoint")
  function(phase np name ckpt)
    execute_process(COMMAND ${CMAKE_COMMAND} -E env SHIFTCURV_MPI_CHECKPOINT=${ckpt}
                            ${MPIEXEC} ${NPFLAG} ${np} ${flags} ${PROGRAM} --no-skip --no-colors
                            "--test-case=checkpoint across rank counts: ${name}*"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT out MATCHES "test cases: *1 \\| *1 passed")
      message(FATAL_ERROR "${name} under ${np} ranks: exit ${rc}\n${out}${err}")
    endif()
  endfunction()
  phase(2 write ${WORK}/a.ckpt)
  file(COPY_FILE ${WORK}/a.ckpt ${WORK}/b.ckpt)
  phase(1 resume ${WORK}/a.ckpt)
  phase(3 resume ${WORK}/b.ckpt)
  file(REMOVE_RECURSE ${WORK})
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
