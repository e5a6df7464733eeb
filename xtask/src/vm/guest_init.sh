#!/bin/sh
# nvmeq guest /init (PID 1, busybox sh). Loads modules, finds the NVMe controllers by serial and
# namespaces by nsid, exports the guest contract (docs/testing.md), runs /nvmeq/cmd, reports
# its exit status on the console and in /nvmeq/exit, and powers off.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=${TERM:-linux}
say() { echo "nvmeq-guest: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
hostname nvmeq-guest
ip link set lo up 2>/dev/null
# A host identity for NVMe over Fabrics (nvme connect), consistent between hostnqn and hostid.
mkdir -p /etc/nvme
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "nqn.2014-08.org.nvmexpress:uuid:$uuid" >/etc/nvme/hostnqn
echo "$uuid" >/etc/nvme/hostid

# Modules in dependency order; `<module>.<param>=<value>` words of the kernel command line are
# passed to insmod here (the kernel applies them only to built-in code).
release=$(uname -r)
cmdline=$(cat /proc/cmdline)
while read -r mod; do
    [ -n "$mod" ] || continue
    params=
    for w in $cmdline; do
        case "$w" in
        *.*=*)
            m=$(echo "${w%%.*}" | tr - _)
            [ "$m" = "$mod" ] && params="$params ${w#*.}"
            ;;
        esac
    done
    # shellcheck disable=SC2086
    out=$(insmod "/lib/modules/$release/$mod.ko" $params 2>&1) ||
        case "$out" in *"File exists"*) ;; *) say "insmod $mod$params: $out" ;; esac
done </etc/nvmeq/modules

[ -d /sys/kernel/config ] && mount -t configfs configfs /sys/kernel/config
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 nvmeqout /out ||
    say "cannot mount the /out share"
mount -t 9p -o trans=virtio,version=9p2000.L nvmeqctl /nvmeq ||
    say "cannot mount the control share"

# An NVMe/TCP target on loopback: the kernel's nvmet-tcp exporting, as nqn.2024-01.io.nvmeq:tcp
# on port 4420, a sparse file on tmpfs as nsid 1 and a memory-backed null_blk disk as nsid 2
# (both 128 MiB; memory is used only where written, and both keep what is written).
tcp_target() {
    cfg=/sys/kernel/config/nvmet nqn=nqn.2024-01.io.nvmeq:tcp
    [ -d $cfg ] || return 1
    dd if=/dev/zero of=/run/nvmeq-tcp.img bs=1M count=0 seek=128 2>/dev/null &&
        mkdir $cfg/subsystems/$nqn && echo 1 >$cfg/subsystems/$nqn/attr_allow_any_host &&
        mkdir $cfg/subsystems/$nqn/namespaces/1 &&
        echo -n /run/nvmeq-tcp.img >$cfg/subsystems/$nqn/namespaces/1/device_path &&
        echo 1 >$cfg/subsystems/$nqn/namespaces/1/enable &&
        { tcp_nullb || say "NVMe/TCP target: no null_blk namespace (nsid 2)"; } &&
        mkdir $cfg/ports/1 && echo tcp >$cfg/ports/1/addr_trtype &&
        echo ipv4 >$cfg/ports/1/addr_adrfam && echo 127.0.0.1 >$cfg/ports/1/addr_traddr &&
        echo 4420 >$cfg/ports/1/addr_trsvcid &&
        ln -s $cfg/subsystems/$nqn $cfg/ports/1/subsystems/$nqn
}
# nsid 2: null_blk made through its configfs (memory_backed=1: data is kept). Its disk is
# named after the configfs directory on newer kernels, nullbINDEX on older ones.
tcp_nullb() {
    nb=/sys/kernel/config/nullb/nvmeqtcp
    [ -d /sys/kernel/config/nullb ] && mkdir $nb && echo 128 >$nb/size &&
        echo 512 >$nb/blocksize && echo 1 >$nb/memory_backed && echo 1 >$nb/discard &&
        echo 1 >$nb/power || return 1
    i=0
    while [ $i -lt 10 ]; do
        dev=/dev/nvmeqtcp
        [ -b $dev ] || dev=/dev/nullb$(cat $nb/index)
        [ -b $dev ] && break
        sleep 0.1
        i=$((i + 1))
    done
    [ -b $dev ] && mkdir $cfg/subsystems/$nqn/namespaces/2 &&
        echo -n $dev >$cfg/subsystems/$nqn/namespaces/2/device_path &&
        echo 1 >$cfg/subsystems/$nqn/namespaces/2/enable
}
tcp_target || say "no NVMe/TCP target (nvmet-tcp missing or configfs refused)"

# The guest contract's variables (guest_env.sh). Commands that rebind
# controllers source it again: names can change when a driver lets go.
. /etc/nvmeq/env.sh
say "A=$CTRL_A ns=$NS_A blk=$BLK_A pci=$PCI_A; B=$CTRL_B ns=$NS_B blk=$BLK_B zns=$ZNS_B" \
    "pci=$PCI_B; C=$CTRL_C D=$CTRL_D E=$CTRL_E; tcp=${NVMEQ_TCP_NQN:-none};" \
    "iommu=${NVMEQ_IOMMU:-0}; kernel $release"

# Backstop for a host that died without killing QEMU: power off after nvmeq.watchdog=SECS.
for w in $cmdline; do
    case "$w" in
    nvmeq.watchdog=*)
        (
            sleep "${w#*=}"
            say "watchdog: ${w#*=} s passed, powering off"
            poweroff -f
        ) &
        ;;
    esac
done

cd /out 2>/dev/null || cd /
# Tells the host the boot got this far: a guest that dies before this line
# (an emulator hiccup during kernel start-up) is booted again once.
: >/nvmeq/started
if [ -r /nvmeq/cmd ]; then
    case "$(cat /nvmeq/cmd)" in
    "exec setsid"*) sh /nvmeq/cmd ;;
    *) sh /nvmeq/cmd </dev/null ;;
    esac
    rc=$?
else
    say "no /nvmeq/cmd: nothing to run"
    rc=125
fi
cd /
echo "$rc" >/nvmeq/exit
sync
echo "NVMEQ-EXIT=$rc"
umount /out /nvmeq 2>/dev/null
poweroff -f
