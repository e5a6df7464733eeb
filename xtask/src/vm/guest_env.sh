# Sourced by /init and by commands that moved controllers between drivers:
# finds controllers by serial and namespaces by nsid (names can swap between
# boots and after a rebind), waits for them, and exports the guest contract
# (docs/testing.md).

# Controllers by serial; namespaces by nsid (names can swap between boots).
find_nvme() {
    CTRL_A= CTRL_B= PCI_A= PCI_B= NS_A= BLK_A= NS_B= BLK_B= ZNS_B=
    for c in /sys/class/nvme/nvme*; do
        [ -r "$c/serial" ] || continue
        read -r serial <"$c/serial"
        pci=$(basename "$(readlink -f "$c/device")")
        case "$serial" in
        nvmeqA) CTRL_A=/dev/${c##*/} PCI_A=$pci ;;
        nvmeqB) CTRL_B=/dev/${c##*/} PCI_B=$pci ;;
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
        esac
    done
    for dev in "$CTRL_A" "$NS_A" "$BLK_A" "$CTRL_B" "$NS_B" "$BLK_B" "$ZNS_B"; do
        [ -n "$dev" ] && [ -e "$dev" ] || return 1
    done
}

i=0
until find_nvme; do
    i=$((i + 1))
    if [ $i -ge 300 ]; then
        say "WARNING: not every NVMe device appeared within 60 s:" \
            "A=$CTRL_A $NS_A $BLK_A B=$CTRL_B $NS_B $BLK_B $ZNS_B"
        break
    fi
    sleep 0.2
done

export NVMEQ_GUEST=1
export NVMEQ_CTRL_A="$CTRL_A" NVMEQ_NS_A="$NS_A" NVMEQ_BLK_A="$BLK_A" NVMEQ_PCI_A="$PCI_A"
export NVMEQ_CTRL_B="$CTRL_B" NVMEQ_NS_B="$NS_B" NVMEQ_BLK_B="$BLK_B" NVMEQ_ZNS_B="$ZNS_B"
export NVMEQ_PCI_B="$PCI_B"
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ]; then
    export NVMEQ_IOMMU=1
fi
