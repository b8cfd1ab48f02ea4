#!/usr/bin/python3
"""Mininet on the same chain netlab's benchmarks use, through its Python API
(not the mn command, which rewrites host sysctls): N hosts, each linked to
the next, no switches, no controller. Prints up and down times like the
floor programs do. Run with Debian's /usr/bin/python3, which has Mininet."""
import sys
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.topo import Topo


class Chain(Topo):
    def build(self, n):
        hosts = [self.addHost('h%d' % i) for i in range(1, n + 1)]
        for a, b in zip(hosts, hosts[1:]):
            self.addLink(a, b)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    setLogLevel('error')
    start = time.time()
    net = Mininet(topo=Chain(n), controller=None, build=True)
    net.start()
    up = time.time() - start
    start = time.time()
    net.stop()
    down = time.time() - start
    print('nodes=%d up=%.3fs down=%.3fs' % (n, up, down))


if __name__ == '__main__':
    main()
