# Sourced by `vm test`'s command: runs a list of steps, each with its own time limit, so one
# hang cannot eat the run. A step file has one step a line: `SECS NAME COMMAND...`.
# Each step runs in its own session (the limit kills its whole process group), after
# /etc/nvmeq/env.sh is sourced again (a rebind can move device names). The console gets
# `NVMEQ-STEP-START=<i> <secs> <name>` and `NVMEQ-STEP-END=<i> <rc> <name>` (rc 124: timed
# out), which the host reads: a guest that stops answering inside a step is killed by the host,
# the step is counted FAILED and a new boot continues with the next one (`run_steps FILE FROM`).

# hwtest_steps SECS CDE ARGS...: one step per backend on controllers A and B, then the
# cross-backend differential; when CDE is 1, one more step per backend: the kernel backends
# on C, D and E, the VFIO backends on C alone; and one per PCIe backend on F's faults.
hwtest_steps() {
    secs=$1 cde=$2
    shift 2
    for b in $(nvmeq-hwtest backends); do
        echo "$secs hwtest:$b nvmeq-hwtest guest --backend $b $*"
    done
    echo "$secs hwtest:differential nvmeq-hwtest differential"
    # The kernel backends on a fabrics controller: the read-only rows through the kernel's
    # NVMe/TCP host, connected to the guest's own target.
    if [ -n "${NVMEQ_TCP_NQN:-}" ]; then
        for b in ioctl uring; do
            echo "$secs hwtest-kernel-tcp:$b . /etc/nvmeq/steps.sh; kernel_tcp_suite $b"
        done
    fi
    [ "$cde" = 1 ] || return 0
    # VFIO on C only: D and E under VFIO are not part of the run (docs/testing.md, "The
    # QEMU 10 hang").
    for b in $(nvmeq-hwtest backends); do
        case $b in tcp*) continue ;; vfio*) set=c ;; *) set=cde ;; esac
        echo "$secs hwtest-$set:$b nvmeq-hwtest guest --set $set --backend $b $*"
    done
    for b in $(nvmeq-hwtest backends); do
        case $b in tcp*) continue ;; esac
        echo "$secs hwtest-f:$b nvmeq-hwtest guest --set f --backend $b $*"
    done
}

# kernel_tcp_suite BACKEND ARGS...: `nvme connect` to the guest's NVMe/TCP target, then the
# suite's read-only run (`nvmeq-hwtest run`) with BACKEND on the new controller and the char
# device of its nsid 1, then `nvme disconnect`; fails when any of it does. With multipath the
# namespace's head disk is `nvmeXnY` and its char device `ngXnY`.
kernel_tcp_suite() {
    b=$1
    shift
    nvme connect -t tcp -a "$NVMEQ_TCP_ADDR" -s "$NVMEQ_TCP_PORT" -n "$NVMEQ_TCP_NQN" -i 1 ||
        return 1
    ctrl= ng= i=0
    while [ -z "$ng" ] && [ $i -lt 100 ]; do
        for d in /sys/class/nvme/nvme*; do
            [ "$(cat "$d/transport" 2>/dev/null)" = tcp ] || continue
            [ "$(cat "$d/subsysnqn" 2>/dev/null)" = "$NVMEQ_TCP_NQN" ] && ctrl=/dev/${d##*/}
        done
        for blk in /sys/block/nvme*; do
            [ "$(cat "$blk/nsid" 2>/dev/null)" = 1 ] || continue
            [ "$(cat "$blk/device/subsysnqn" 2>/dev/null)" = "$NVMEQ_TCP_NQN" ] || continue
            [ -c "/dev/ng${blk##*/nvme}" ] && ng=/dev/ng${blk##*/nvme}
        done
        sleep 0.1
        i=$((i + 1))
    done
    rc=1
    if [ -n "$ctrl" ] && [ -n "$ng" ]; then
        echo "kernel host: $ctrl, nsid 1 at $ng"
        nvmeq-hwtest run --backend "$b" --ctrl "$ctrl" --ns "$ng" "$@"
        rc=$?
    else
        echo "kernel host: no controller or char device for $NVMEQ_TCP_NQN nsid 1 after 10 s"
    fi
    nvme disconnect -n "$NVMEQ_TCP_NQN" >/dev/null
    return $rc
}

# test_steps SECS BINARY...: one step per ignored (guest-only) test of each test binary.
test_steps() {
    secs=$1
    shift
    for bin in "$@"; do
        "$bin" --ignored --list 2>/dev/null | sed -n 's/: test$//p' | while read -r t; do
            echo "$secs $bin:$t NVMEQ_BIN=/bin/nvmeq $bin --ignored --exact $t --test-threads=1"
        done
    done
}

# Whether process $1 still runs (a zombie has finished).
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null || return 1
    [ "$state" != Z ]
}

# run_steps FILE FROM: runs steps FROM.. of FILE (0-based); prints a summary; fails when any did.
# A heartbeat line every 10 s tells the host the guest still runs: a guest whose vCPUs stopped
# (the QEMU 10 race, docs/testing.md) falls silent, and the host need not wait out the step.
run_steps() {
    step_i=0 failed=0 passed=0 from=${2:-0} summary=
    (while :; do echo NVMEQ-ALIVE; sleep 10; done) </dev/null &
    heartbeat=$!
    echo "$heartbeat" >/tmp/heartbeat.pid
    while read -r secs name cmd; do
        [ -n "$name" ] || continue
        if [ "$step_i" -lt "$from" ]; then
            step_i=$((step_i + 1))
            continue
        fi
        . /etc/nvmeq/env.sh
        echo "NVMEQ-STEP-START=$step_i $secs $name"
        t0=$(date +%s)
        setsid sh -c "$cmd" </dev/null &
        pid=$!
        ticks=0 limit=$((secs * 5)) rc=
        while alive "$pid"; do
            if [ "$ticks" -ge "$limit" ]; then
                echo "nvmeq-step: $name: still running after $secs s: killing it"
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
                sleep 1
                alive "$pid" && echo "nvmeq-step: $name: does not die (stuck in the kernel)"
                rc=124
                break
            fi
            sleep 0.2
            ticks=$((ticks + 1))
        done
        if [ -z "$rc" ]; then
            wait "$pid"
            rc=$?
        fi
        dt=$(($(date +%s) - t0))
        echo "NVMEQ-STEP-END=$step_i $rc $name"
        if [ "$rc" = 0 ]; then
            passed=$((passed + 1))
            summary="$summary
  ok      ${dt}s  $name"
        else
            failed=$((failed + 1))
            why="exit $rc"
            [ "$rc" = 124 ] && why="timed out after $secs s"
            summary="$summary
  FAILED  ${dt}s  $name ($why)"
        fi
        step_i=$((step_i + 1))
    done <"$1"
    kill "$heartbeat" 2>/dev/null
    echo "== steps: $passed passed, $failed failed ==$summary"
    [ "$failed" = 0 ]
}

# soak_steps TOTAL SLACK SEED [BACKEND...]: one step per backend (default: every one the
# guest's nvmeq-hwtest has), each soaking TOTAL / count seconds, limited to SLACK seconds more
# (the read-back, VFIO's rebinds), its report also in /out/soak-BACKEND.txt. A backend that
# cannot soak here says SKIP and why; `nvmeq-hwtest soak`'s exit status 3 (every target
# skipped) is then the step's 0, and the host's summary says SKIP.
soak_steps() {
    total=$1 slack=$2 seed=$3
    shift 3
    [ $# -gt 0 ] || set -- $(nvmeq-hwtest backends)
    each=$((total / $#))
    [ "$each" -ge 1 ] || each=1
    for b in "$@"; do
        echo "$((each + slack)) soak:$b nvmeq-hwtest --backend $b soak --seconds $each --seed $seed >/out/soak-$b.txt 2>&1; rc=\$?; cat /out/soak-$b.txt; [ \$rc = 3 ] && rc=0; exit \$rc"
    done
}

# qmp COMMAND [JSON-ARGUMENTS]: asks the host to send one QMP command to QEMU (only the
# commands xtask/src/vm/qmp.rs allows: device_add, device_del, query-pci, query-status),
# waits for QEMU's reply and prints it; fails when QEMU answered an error or nobody did.
# E.g. `qmp device_del '{"id": "nvmeR"}'`. QEMU's events land in /nvmeq/qmp-events.
qmp() {
    qmp_n=$((${qmp_n:-0} + 1))
    qmp_tag=sh$$-$qmp_n
    rm -f "/nvmeq/qmp-$qmp_tag"
    printf '\nNVMEQ-QMP=%s %s %s\n' "$qmp_tag" "$1" "${2:-}" >/dev/console
    i=0
    until [ -e "/nvmeq/qmp-$qmp_tag" ]; do
        i=$((i + 1))
        [ "$i" -le 100 ] || { echo "qmp: no answer from the host in 20 s" >&2; return 1; }
        sleep 0.2
    done
    read -r reply <"/nvmeq/qmp-$qmp_tag"
    rm -f "/nvmeq/qmp-$qmp_tag"
    echo "$reply"
    case "$reply" in '{"return"'*) return 0 ;; *) return 1 ;; esac
}
