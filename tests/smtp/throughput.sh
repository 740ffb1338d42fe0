#!/bin/bash
# tests/smtp/throughput.sh DRIVER [TXNS] [CONNS] [BODY]: per-recipient
# transactions (one envelope sender each, one recipient each) into
# smtp-sink without a dump file; prints the driver's summary (rate= is
# accepted recipients per second). Not part of the test suite.
. "$(dirname "$0")/lib.sh"
port=$(free_port)
start_sink bench "$port"
run_driver "$WORK/bench.out" --relay "127.0.0.1:$port" --txns "${2:-20000}" \
	--conns "${3:-4}" --body "${4:-5000}"
