"""``Evidence``: how the rule layer read one field (the confidence model's input), shared by the table
rebuild, validation, cross-reading and confidence stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nianbao.rules.reuse import Certificate


@dataclass
class Evidence:
    """What the rule layer knows about how one field was read (features for the confidence model)."""

    kind: str  # cell | mark | blank | gap | split
    label_score: float = 1.0
    alternatives: int = 1  # candidates the row had
    posterior: float = 1.0  # the chosen reading's share among near-tied readings
    tag_prob: float | None = None  # mean tagger probability of the cell's tags
    start_prob: float | None = None  # tagger probability that the cell starts where it does
    rescued: bool = False  # read from text the tagger left untagged
    model: bool = False  # a tagger model (not the rules-only reader) tagged the document
    agree: bool | None = None  # whether the rules-only reader's second reading agrees (None: not checked)
    stream: bool = False  # placed by its position in a value stream (``rules.stream``, ``rules.t4_order``), not by a row label

    def __init__(self, kind: str, label_score: float = 1.0, alternatives: int = 1, posterior: float = 1.0,
                 tag_prob: float | None = None, start_prob: float | None = None, rescued: bool = False,
                 model: bool = False, agree: bool | None = None, stream: bool = False) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.kind, self.label_score, self.alternatives, self.posterior = kind, label_score, alternatives, posterior
        self.tag_prob, self.start_prob, self.rescued, self.model = tag_prob, start_prob, rescued, model
        self.agree, self.stream = agree, stream


@dataclass
class TableBuild:
    """The outcome of ``build``: evidence per field ID."""

    evidence: dict[str, Evidence] = field(default_factory=dict)
    certified: dict[str, Certificate] = field(default_factory=dict)  # table -> rules.reuse.Certificate (build(certify=True))
