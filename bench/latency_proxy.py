#!/usr/bin/env python3
"""TCP proxy that puts a fixed one-way delay on each direction (loopback only).

    latency_proxy.py --listen-port 55832 --target-port 55732 --delay-ms 100

Every chunk read from one side is stamped with its arrival time and written to the other side
once `delay` has passed, in arrival order. The link is *delayed*, not throttled: chunks in flight
do not hold back later reads, so a batch that fits in one round trip still takes one round trip
(plus the delay each way), whatever its size. End of stream is forwarded after the delay too.

Bounds: the proxy exits after --max-seconds (default 3600) or on SIGINT/SIGTERM; each direction
holds at most --max-buffer-mb of data in flight (reading pauses above that, so memory stays
bounded even if one side stops reading).

Standard library only (Debian's python3).
"""

import argparse
import asyncio
import collections
import signal
import sys

READ_SIZE = 256 * 1024


class Pipe:
    """One direction of one connection: reader → timed queue → writer."""

    def __init__(self, reader, writer, delay, max_bytes, name):
        self.reader = reader
        self.writer = writer
        self.delay = delay
        self.max_bytes = max_bytes
        self.name = name
        self.queue = collections.deque()  # (due time, bytes or None for EOF)
        self.queued_bytes = 0
        self.item_ready = asyncio.Event()
        self.space_free = asyncio.Event()
        self.space_free.set()

    async def pump_in(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                while self.queued_bytes >= self.max_bytes:
                    self.space_free.clear()
                    await self.space_free.wait()
                data = await self.reader.read(READ_SIZE)
                due = loop.time() + self.delay
                self.queue.append((due, data if data else None))
                self.queued_bytes += len(data)
                self.item_ready.set()
                if not data:
                    return
        except (ConnectionError, OSError):
            self.queue.append((loop.time() + self.delay, None))
            self.item_ready.set()

    async def pump_out(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                while not self.queue:
                    self.item_ready.clear()
                    await self.item_ready.wait()
                due, data = self.queue[0]
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.queue.popleft()
                if data is None:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                    return
                self.queued_bytes -= len(data)
                self.space_free.set()
                self.writer.write(data)
                # Only wait for the socket when its buffer is really full; otherwise keep
                # releasing chunks on time.
                if self.writer.transport.get_write_buffer_size() > 4 * READ_SIZE:
                    await self.writer.drain()
        except (ConnectionError, OSError):
            return


async def handle(client_reader, client_writer, args, stats):
    delay = args.delay_ms / 1000.0
    max_bytes = int(args.max_buffer_mb * 1024 * 1024)
    try:
        server_reader, server_writer = await asyncio.wait_for(
            asyncio.open_connection(args.target_host, args.target_port), timeout=5)
    except (OSError, asyncio.TimeoutError) as error:
        print(f"latency_proxy: cannot reach {args.target_host}:{args.target_port}: {error}",
              file=sys.stderr)
        client_writer.close()
        return
    stats["connections"] += 1
    up = Pipe(client_reader, server_writer, delay, max_bytes, "up")
    down = Pipe(server_reader, client_writer, delay, max_bytes, "down")
    tasks = [asyncio.create_task(c) for c in
             (up.pump_in(), up.pump_out(), down.pump_in(), down.pump_out())]
    try:
        # The connection is over when both directions delivered their end of stream (or failed).
        await asyncio.gather(tasks[1], tasks[3])
    finally:
        for t in tasks:
            t.cancel()
        for w in (client_writer, server_writer):
            try:
                w.close()
            except Exception:  # already gone
                pass


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen-host", default="127.0.0.1")
    p.add_argument("--listen-port", type=int, required=True)
    p.add_argument("--target-host", default="127.0.0.1")
    p.add_argument("--target-port", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=100.0, help="added delay each way")
    p.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long")
    p.add_argument("--max-buffer-mb", type=float, default=64.0,
                   help="in-flight data per direction before reading pauses")
    args = p.parse_args()
    for host in (args.listen_host, args.target_host):
        if host not in ("127.0.0.1", "localhost", "::1"):
            p.error("loopback only")

    stats = {"connections": 0}
    server = await asyncio.start_server(lambda r, w: handle(r, w, args, stats),
                                        args.listen_host, args.listen_port)
    print(f"latency_proxy: {args.listen_host}:{args.listen_port} -> "
          f"{args.target_host}:{args.target_port}, +{args.delay_ms:g} ms each way",
          file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except asyncio.TimeoutError:
        print("latency_proxy: --max-seconds reached, exiting", file=sys.stderr)
    server.close()
    print(f"latency_proxy: exiting after {stats['connections']} connection(s)", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
