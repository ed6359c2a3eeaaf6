"""`cinema send` against a real Orthanc started here: SEG + SR stored, queried back (C-FIND) and compared (the stored
files fetched over Orthanc's REST API); a refused association and a wrong port are one line each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from dicom_export_helpers import measured, phantom_dicom
from orthanc_server import free_port, orthanc

from CineMALib.cli import main
from CineMALib.exchange.export import export_dicom
from CineMALib.exchange.from_analysis import views_to_export
from CineMALib.exchange.record import algorithm_from

pytest.importorskip("pynetdicom", reason="pynetdicom is not installed (pip install -e '.[dicom]')")


@pytest.fixture(scope="module")
def objects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("send")
    phantom, study = phantom_dicom(root / "study", seed=8, n_frames=4)
    results, report = measured(phantom, study, (0, 2))
    return export_dicom(views_to_export(study, results), report, root / "out" / "study1",
                        algorithm_from(results.provenance), score_model="classification_cvd/phantom_sax")


def _find(server, study_uid: str) -> set[str]:
    from pynetdicom import AE
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    ae = AE(ae_title="CINEMA")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate("127.0.0.1", server.dicom_port, ae_title=server.aet)
    assert assoc.is_established
    query = pydicom.Dataset()
    query.QueryRetrieveLevel = "IMAGE"
    query.StudyInstanceUID = study_uid
    query.SeriesInstanceUID = ""
    query.SOPInstanceUID = ""
    query.SOPClassUID = ""
    found = set()
    try:
        for status, ident in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind):
            if status and status.Status in (0xFF00, 0xFF01) and ident is not None:
                found.add(str(ident.SOPInstanceUID))
    finally:
        assoc.release()
    return found


def test_send_to_orthanc_and_query_back(objects, tmp_path: Path, capsys) -> None:
    with orthanc(tmp_path) as server:
        code = main(["send", str(objects["sr.dcm"].parent.parent), "--to", f"{server.aet}@127.0.0.1:{server.dicom_port}"])
        assert code == 0, capsys.readouterr().err
        assert f"sent {len(objects)} object(s)" in capsys.readouterr().out
        ours = {name: pydicom.dcmread(str(path)) for name, path in objects.items()}
        study_uid = ours["sr.dcm"].StudyInstanceUID
        assert _find(server, study_uid) == {ds.SOPInstanceUID for ds in ours.values()}
        for name, ds in ours.items():
            matches = [i for i in server.json("/instances") if
                       server.json(f"/instances/{i}/simplified-tags")["SOPInstanceUID"] == ds.SOPInstanceUID]
            assert len(matches) == 1, name
            stored = pydicom.dcmread(pydicom.filebase.DicomBytesIO(server.rest(f"/instances/{matches[0]}/file")))
            assert stored.SOPClassUID == ds.SOPClassUID
            if "PixelData" in ds:
                assert np.array_equal(stored.pixel_array, ds.pixel_array), name
            if "ContentSequence" in ds:  # the SR's whole content tree came back as sent
                assert stored.ContentSequence == ds.ContentSequence, name


def test_a_refused_association_is_one_line(objects, tmp_path: Path, capsys) -> None:
    with orthanc(tmp_path) as server:
        code = main(["send", str(objects["sr.dcm"]), "--to", f"WRONGAET@127.0.0.1:{server.dicom_port}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "association rejected" in err and len(err.splitlines()) == 1, err


def test_a_wrong_port_is_one_line(objects, capsys) -> None:
    code = main(["send", str(objects["sr.dcm"]), "--to", f"ANY@127.0.0.1:{free_port()}", "--timeout", "5"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no DICOM association" in err and len(err.splitlines()) == 1, err


def test_a_bad_destination_is_one_line(objects, capsys) -> None:
    assert main(["send", str(objects["sr.dcm"]), "--to", "127.0.0.1:4242"]) == 2
    assert "expected AET@HOST:PORT" in capsys.readouterr().err
