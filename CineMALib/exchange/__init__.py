"""Results back into the hospital: DICOM SEG and SR (TID 1500) export, SEG read back, C-STORE to a PACS.

Needs the ``[dicom]`` extra (highdicom, pynetdicom); imported lazily so the rest of CineMALib works without it.
"""
