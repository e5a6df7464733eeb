# Sourced by /init and by commands that moved controllers between drivers:
# finds controllers by serial and namespaces by nsid (names can swap between
# boots and after a rebind), waits for them, and exports the guest contract
# (docs/testing.md).

# Controller E's namespace count (xtask/src/vm/qemu.rs E_NAMESPACES).
NVMEQ_E_NAMESPACES=34
# Controller F (fault injection) exists when xtask put its parameters on the kernel line
# (xtask/src/vm/qemu.rs F_BAD_LBAS, F_SLOW_BPS): nsid 1's failing LBAs as FIRST+COUNT,
# nsid 2's throttle in bytes per second.
F_BAD= F_BPS=
for w in $(cat /proc/cmdline); do
    case "$w" in
    nvmeq.fault_lbas=*) F_BAD=${w#*=} ;;
    nvmeq.slow_bps=*) F_BPS=${w#*=} ;;
    esac
done

# Controllers by serial; namespaces by nsid (names can swap between boots).
find_nvme() {
    CTRL_A= CTRL_B= PCI_A= PCI_B= NS_A= BLK_A= NS_B= BLK_B= ZNS_B=
    CTRL_C= PCI_C= NS_C1= NS_C2= NS_C3= NS_C4= CTRL_D= PCI_D= NS_D= CTRL_E= PCI_E= NS_E= NS_E_LAST=
    CTRL_F= PCI_F= NS_F1= NS_F2=
    ns_e=0
    for c in /sys/class/nvme/nvme*; do
        [ -r "$c/serial" ] || continue
        read -r serial <"$c/serial"
        pci=$(basename "$(readlink -f "$c/device")")
        case "$serial" in
        nvmeqA) CTRL_A=/dev/${c##*/} PCI_A=$pci ;;
        nvmeqB) CTRL_B=/dev/${c##*/} PCI_B=$pci ;;
        nvmeqC) CTRL_C=/dev/${c##*/} PCI_C=$pci ;;
        nvmeqD) CTRL_D=/dev/${c##*/} PCI_D=$pci ;;
        nvmeqE) CTRL_E=/dev/${c##*/} PCI_E=$pci ;;
        nvmeqF) CTRL_F=/dev/${c##*/} PCI_F=$pci ;;
        esac
    done
    for b in /sys/block/nvme*; do
        d=${b##*/}
        case "$d" in nvme*c*n* | nvme*p*) continue ;; esac
        [ -r "$b/nsid" ] && [ -r "$b/device/serial" ] || continue
        read -r nsid <"$b/nsid"
        read -r serial <"$b/device/serial"
        ng=/dev/ng${d#nvme}
        case "$serial:$nsid" in
        nvmeqA:1) NS_A=$ng BLK_A=/dev/$d ;;
        nvmeqB:1) NS_B=$ng BLK_B=/dev/$d ;;
        nvmeqB:2) ZNS_B=$ng ;;
        nvmeqC:[1-4]) eval "NS_C$nsid=$ng" ;;
        nvmeqD:1) NS_D=$ng ;;
        nvmeqE:1) NS_E=$ng ns_e=$((ns_e + 1)) ;;
        nvmeqE:$NVMEQ_E_NAMESPACES) NS_E_LAST=$ng ns_e=$((ns_e + 1)) ;;
        nvmeqE:*) ns_e=$((ns_e + 1)) ;;
        nvmeqF:[12]) eval "NS_F$nsid=$ng" ;;
        esac
    done
    [ "$ns_e" -ge "$NVMEQ_E_NAMESPACES" ] || return 1
    for dev in "$CTRL_A" "$NS_A" "$BLK_A" "$CTRL_B" "$NS_B" "$BLK_B" "$ZNS_B" \
        "$CTRL_C" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_C4" "$CTRL_D" "$NS_D" "$CTRL_E" "$NS_E" \
        "$NS_E_LAST"; do
        [ -n "$dev" ] && [ -e "$dev" ] || return 1
    done
    [ -n "$F_BAD" ] || return 0
    for dev in "$CTRL_F" "$NS_F1" "$NS_F2"; do
        [ -n "$dev" ] && [ -e "$dev" ] || return 1
    done
}

i=0
until find_nvme; do
    i=$((i + 1))
    if [ $i -ge 300 ]; then
        say "WARNING: not every NVMe device appeared within 60 s:" \
            "A=$CTRL_A $NS_A $BLK_A B=$CTRL_B $NS_B $BLK_B $ZNS_B C=$CTRL_C $NS_C1 $NS_C2" \
            "$NS_C3 $NS_C4 D=$CTRL_D $NS_D E=$CTRL_E $NS_E..$NS_E_LAST ($ns_e namespaces)" \
            "F=$CTRL_F $NS_F1 $NS_F2"
        break
    fi
    sleep 0.2
done

export NVMEQ_GUEST=1
export NVMEQ_CTRL_A="$CTRL_A" NVMEQ_NS_A="$NS_A" NVMEQ_BLK_A="$BLK_A" NVMEQ_PCI_A="$PCI_A"
export NVMEQ_CTRL_B="$CTRL_B" NVMEQ_NS_B="$NS_B" NVMEQ_BLK_B="$BLK_B" NVMEQ_ZNS_B="$ZNS_B"
export NVMEQ_PCI_B="$PCI_B"
export NVMEQ_CTRL_C="$CTRL_C" NVMEQ_PCI_C="$PCI_C" NVMEQ_NS_C1="$NS_C1" NVMEQ_NS_C2="$NS_C2"
export NVMEQ_NS_C3="$NS_C3" NVMEQ_NS_C4="$NS_C4"
export NVMEQ_CTRL_D="$CTRL_D" NVMEQ_PCI_D="$PCI_D" NVMEQ_NS_D="$NS_D"
export NVMEQ_CTRL_E="$CTRL_E" NVMEQ_PCI_E="$PCI_E" NVMEQ_NS_E="$NS_E" NVMEQ_NS_E_LAST="$NS_E_LAST"
export NVMEQ_E_NAMESPACES
if [ -n "$F_BAD" ]; then
    export NVMEQ_CTRL_F="$CTRL_F" NVMEQ_PCI_F="$PCI_F" NVMEQ_NS_F1="$NS_F1" NVMEQ_NS_F2="$NS_F2"
    export NVMEQ_F_BAD_LBAS="$F_BAD" NVMEQ_F_SLOW_BPS="$F_BPS"
fi
# The NVMe/TCP target init sets up (guest_init.sh).
if [ -e /sys/kernel/config/nvmet/ports/1/subsystems/nqn.2024-01.io.nvmeq:tcp ]; then
    export NVMEQ_TCP_NQN=nqn.2024-01.io.nvmeq:tcp NVMEQ_TCP_ADDR=127.0.0.1 NVMEQ_TCP_PORT=4420
fi
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ]; then
    export NVMEQ_IOMMU=1
fi
