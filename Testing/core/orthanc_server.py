"""A throw-away Orthanc PACS for tests: its own process, temporary configuration and storage, loopback ports.

Never the system service: the executable is started with a config file in a temporary folder, on free ports, and
stopped (terminate, then kill) when the test is done. Skips with the reason when Orthanc is not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

AET = "CINEMATESTPACS"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Orthanc:
    aet: str
    dicom_port: int
    http_port: int

    def rest(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=10) as reply:
            return reply.read()

    def json(self, path: str):
        return json.loads(self.rest(path))


@contextmanager
def orthanc(folder: Path) -> Iterator[Orthanc]:
    exe = shutil.which("Orthanc") or shutil.which("orthanc")
    if exe is None:
        pytest.skip("Orthanc is not installed (Debian package 'orthanc'; .ci/run installs it)")
    server = Orthanc(AET, free_port(), free_port())
    storage = folder / "storage"
    storage.mkdir(parents=True)
    config = {"Name": "cinema-test", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
              "Plugins": [], "HttpServerEnabled": True, "HttpPort": server.http_port, "RemoteAccessAllowed": False,
              "AuthenticationEnabled": False, "DicomServerEnabled": True, "DicomAet": AET,
              "DicomPort": server.dicom_port, "DicomCheckCalledAet": True, "DicomAlwaysAllowStore": True,
              "DicomAlwaysAllowFind": True, "DicomAlwaysAllowEcho": True, "DicomModalities": {},
              "StableAge": 1, "SaveJobs": False}
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config))
    log = open(folder / "orthanc.log", "wb")
    proc = subprocess.Popen([exe, str(path)], stdout=log, stderr=subprocess.STDOUT, cwd=str(folder))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.json("/system")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    tail = (folder / "orthanc.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"Orthanc did not start (exit code {proc.poll()}):\n{tail}")
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
