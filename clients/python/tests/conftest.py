"""Fixtures: real redis-server processes on free ports (a server, and a three-node cluster),
started by the tests and stopped after them. Never the machine's own Redis on 6379."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_cluster_ports(n):
    """``n`` distinct free ports whose cluster bus ports (port + 10000) are free and valid too."""
    ports = []
    while len(ports) < n:
        port = free_port()
        taken = {p for q in ports for p in (q, q + 10000)}
        if port + 10000 <= 65535 and not {port, port + 10000} & taken and _bindable(port + 10000):
            ports.append(port)
    return ports


def _start(port, workdir, *extra):
    if not os.path.exists(REDIS_SERVER):
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.01)
        finally:
            client.close()


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server of its own; yields its URL."""
    workdir = tempfile.mkdtemp(prefix="cachepipe-py-redis-")
    port = free_port()
    process = _start(port, workdir)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def r(redis_server):
    """A client of the test's redis-server, emptied first."""
    client = redis.Redis.from_url(redis_server, decode_responses=True)
    client.flushall()
    client.script_flush()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_cluster():
    """A Redis Cluster of three masters; yields a ``redis.cluster.RedisCluster``."""
    from redis.cluster import RedisCluster

    workdir = Path(tempfile.mkdtemp(prefix="cachepipe-py-cluster-"))
    ports = free_cluster_ports(3)
    processes = []
    try:
        for port in ports:
            node_dir = workdir / str(port)
            node_dir.mkdir()
            processes.append(
                _start(port, node_dir, "--cluster-enabled", "yes",
                       "--cluster-config-file", "nodes.conf")
            )
        subprocess.run(
            [shutil.which("redis-cli") or "/usr/bin/redis-cli", "--cluster", "create",
             *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 20
        while True:
            info = redis.Redis(port=ports[0], decode_responses=True).cluster("info")
            if "cluster_state:ok" in str(info) or (
                isinstance(info, dict) and info.get("cluster_state") == "ok"
            ):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the cluster did not come up: {info}")
            time.sleep(0.05)
        cluster = RedisCluster(host="127.0.0.1", port=ports[0], decode_responses=True)
        yield cluster
        cluster.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
