#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one uevent, in the kernel's format, to rraftctl's test socket.

  uevent.py SOCKET change MINOR SYSFS   RRAFT_* properties from the fake
                                        device SYSFS/block/rraftMINOR/rraft
  uevent.py SOCKET ACTION MINOR [K=V...]  any action, given properties
  uevent.py SOCKET raw HEADER [K=V...]  a datagram as given

rraftctl binds SOCKET (RRAFT_UEVENT_SOCKET) before it prints "exists -".
"""
import os
import socket
import sys


def props_from_sysfs(d):
    def attr(name):
        with open(os.path.join(d, name)) as f:
            return f.read().strip()

    members = dict(kv.split('=', 1) for kv in attr('members').split())
    phase = attr('conf_phase')
    peers = []
    for line in attr('peers').splitlines():
        tok = line.split()
        if not tok:
            continue
        kv = dict(t.split('=', 1) for t in tok[1:] if '=' in t)
        peers.append('%s:%s' % (tok[0], kv.get('conn', 'unknown').lower()))
    return ['RRAFT_EVENT=role,term,leader,disk,conf,peer',
            'RRAFT_NODE_ID=' + attr('node_id'),
            'RRAFT_ROLE=' + attr('role'), 'RRAFT_TERM=' + attr('term'),
            'RRAFT_LEADER=' + attr('leader'),
            'RRAFT_DISK=' + attr('disk_state'), 'RRAFT_CONF=' + phase,
            'RRAFT_VOTERS=' + members.get('voters', ''),
            'RRAFT_VOTERS_OLD=' + members.get('old', ''),
            'RRAFT_LEARNERS=' + members.get('learners', ''),
            'RRAFT_PEERS=' + ','.join(peers)]


def main(argv):
    sock, action = argv[1], argv[2]
    if action == 'raw':
        header, props = argv[3], argv[4:]
    else:
        minor = argv[3]
        path = '/devices/virtual/block/rraft' + minor
        header = '%s@%s' % (action, path)
        props = ['ACTION=' + action, 'DEVPATH=' + path, 'SUBSYSTEM=block',
                 'MAJOR=252', 'MINOR=' + minor, 'DEVNAME=rraft' + minor,
                 'DEVTYPE=disk', 'SEQNUM=1']
        if action == 'change' and len(argv) == 5 and '=' not in argv[4]:
            props += props_from_sysfs(
                os.path.join(argv[4], 'block', 'rraft' + minor, 'rraft'))
        else:
            props += argv[4:]
    msg = b'\0'.join(x.encode() for x in [header] + props) + b'\0'
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(msg, sock)


if __name__ == '__main__':
    main(sys.argv)
