"""A register's rows parsed, with blind indexes and ciphertexts computed beside the parsing.

Keyed hashing and encryption cost about 10 µs a person; for a large register they run in a forked helper
process on the second core while this process parses the next rows (only the ID and phone go over, and
four strings come back). Small registers are done inline: the values are the same either way.
"""

import datetime
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from django.conf import settings

from puhui.core.pii_store import pii_cipher
from puhui.households import register

ID_INDEX = "resident_id"
PHONE_INDEX = "phone"

Protected = tuple[str, str, str, str]  # (id blind index, id ciphertext, phone ciphertext, phone blind index)


def protect(pairs: list[tuple[str, str]]) -> list[Protected | None]:
    """For each (ID number, phone): the blind indexes and ciphertexts; None where the ID is missing."""
    cipher = pii_cipher()
    out: list[Protected | None] = []
    for id_number, phone in pairs:
        if not id_number:
            out.append(None)
            continue
        out.append(
            (
                cipher.blind_index(id_number, purpose=ID_INDEX),
                cipher.encrypt(id_number),
                cipher.encrypt(phone) if phone else "",
                cipher.blind_index(phone, purpose=PHONE_INDEX) if phone else "",
            )
        )
    return out


class Protector:
    """Submit batches as they are parsed; collect the results in the same order at the end."""

    def __init__(self, expected_rows: int) -> None:
        parallel = expected_rows >= settings.PUHUI_IMPORT_PARALLEL_MIN_ROWS
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context) if parallel else None
        self._batches: list[Future | list] = []

    def submit(self, pairs: list[tuple[str, str]]) -> None:
        if self._pool is None:
            self._batches.append(protect(pairs))
        else:
            self._batches.append(self._pool.submit(protect, pairs))

    def results(self) -> Iterator[Protected | None]:
        try:
            for batch in self._batches:
                yield from (batch.result() if isinstance(batch, Future) else batch)
        finally:
            if self._pool is not None:
                self._pool.shutdown()


PARSE_BATCH = 5000


def rows_parse_protected(cells: list[tuple[int, tuple]], *, today: datetime.date) -> list[register.RegisterRow]:
    """Every row parsed, with id_index, id_cipher, phone_cipher and phone_index set where an ID is valid."""
    protector = Protector(len(cells))
    rows: list[register.RegisterRow] = []
    for start in range(0, len(cells), PARSE_BATCH):
        batch = [
            register.row_parse(line, row_cells, today=today) for line, row_cells in cells[start : start + PARSE_BATCH]
        ]
        protector.submit([(row.id_number, row.phone) for row in batch])
        rows += batch
    for row, protected in zip(rows, protector.results(), strict=True):
        if protected is not None:
            row.id_index, row.id_cipher, row.phone_cipher, row.phone_index = protected
    return rows
