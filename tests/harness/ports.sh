# tests/harness/ports.sh — free_port: a TCP/UDP port on 127.0.0.1 for a test
# server; port_in_use (sourced by the tests and the harness scripts).
#
# Two things made random ports collide when meson runs tests in parallel:
#  - a port inside the kernel's ephemeral range can be the local end of any
#    outgoing connection (an SMTP client of another test), and bind() then
#    fails with EADDRINUSE although nothing listens there;
#  - two tests can draw the same port between the pick and their bind().
# So ports are drawn below the ephemeral range (or above it when it starts
# too low), and a drawn port is reserved by an atomic mkdir under
# $LISTD_PORTS_DIR (default /tmp/listd-test-ports) naming the pid of the
# shell that drew it. A reservation whose shell is gone is taken back when
# nothing listens on the port any more.

LISTD_PORTS_DIR=${LISTD_PORTS_DIR:-/tmp/listd-test-ports}

# port_in_use PORT: something listens on TCP PORT.
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# _port_listening PORT: something listens on TCP or UDP PORT.
_port_listening() { port_in_use "$1" || ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }

# _port_range: prints "LOW HIGH", a range outside the ephemeral ports.
_port_range() {
	local lo=32768 hi=60999
	if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
		read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
	fi
	if [ "$lo" -gt 12000 ]; then
		echo "10000 $((lo - 1))"
	elif [ "$hi" -lt 63000 ]; then
		echo "$((hi + 1)) 65000"
	else
		echo "10000 $lo"   # no room outside: the reservation still holds
	fi
}

# _port_reserve PORT: 0 if this shell now holds PORT.
_port_reserve() {
	local d=$LISTD_PORTS_DIR/$1 owner
	if mkdir "$d" 2>/dev/null; then
		echo "$$" > "$d/pid"
		return 0
	fi
	owner=$(cat "$d/pid" 2>/dev/null || true)
	[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && return 1
	_port_listening "$1" && return 1
	# a stale reservation: take it over (rename is atomic; one shell wins)
	mv "$d" "$d.stale.$$" 2>/dev/null || return 1
	rm -rf "$d.stale.$$"
	mkdir "$d" 2>/dev/null || return 1
	echo "$$" > "$d/pid"
}

# free_port: prints a port nobody listens on and no running test holds.
free_port() {
	local lo hi p _
	mkdir -p "$LISTD_PORTS_DIR" 2>/dev/null && chmod 1777 "$LISTD_PORTS_DIR" 2>/dev/null || true
	read -r lo hi <<< "$(_port_range)"
	for _ in $(seq 1 200); do
		p=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
		_port_listening "$p" && continue
		_port_reserve "$p" || continue
		echo "$p"
		return 0
	done
	return 1
}
