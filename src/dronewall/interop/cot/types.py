"""CoT event types for our tracks: the MIL-STD-2525-derived "atom" type strings.

A CoT type reads ``a-<affiliation>-<dimension>-<function...>`` (MITRE's CoT event schema
and its type table ``CoTtypes.xml``, as used by ATAK/WinTAK/iTAK; the function letters
follow MIL-STD-2525B's symbol-identification hierarchy):

- ``a`` atoms: a thing that exists (a track);
- affiliation, one letter, from the STANAG 1241 / APP-6 standard identity:
  ``p`` pending, ``u`` unknown, ``a`` assumed friend, ``f`` friend, ``n`` neutral,
  ``s`` suspect, ``h`` hostile (``j`` joker / ``k`` faker exist, we never emit them);
- dimension ``A``: air;
- function, from our class label (table :data:`CLASS_FUNCTION`):

| class label (airspace.classify)   | function   | CoTtypes.xml meaning                      |
|-----------------------------------|------------|-------------------------------------------|
| shahed, gerbera, jet_shahed       | ``M-F-Q``  | military fixed wing, drone/RPV/UAV        |
| cruise_missile                    | ``W-M``    | weapon, missile in flight                 |
| fighter                           | ``M-F-F``  | military fixed wing, fighter              |
| bomber                            | ``M-F-B``  | military fixed wing, bomber               |
| airliner, light_aircraft          | ``C-F``    | civil fixed wing                          |
| helicopter                        | ``M-H``    | military rotary wing                      |
| multicopter                       | ``M-H-Q``  | military rotary wing, drone/RPV/UAV       |
| bird, unknown                     | (none)     | air track, function unknown               |

The simulator's target kinds (``drone``, ``decoy``, ``missile``, ``aircraft``) and a few
target types are mapped too, so ground-truth-labelled tracks render sensibly.

Other CoT types we emit (ATAK's conventions, ``com.atakmap.android.emergency``):
``b-a-g`` geo-fence breached (an incursion or zone entry starts), ``b-a-o-can`` alert
cancelled (it ends), ``b-m-p-s-m`` spot marker (any other event) and ``b-m-p-s-p-i``
sensor point of interest (a fire group's predicted intercept point).
"""

from __future__ import annotations

AFFILIATION: dict[str, str] = {
    "pending": "p",
    "unknown": "u",
    "assumed_friend": "a",
    "friend": "f",
    "neutral": "n",
    "suspect": "s",
    "hostile": "h",
}

CLASS_FUNCTION: dict[str, str] = {
    # airspace.classify.TRACK_CLASSES
    "shahed": "M-F-Q",
    "gerbera": "M-F-Q",
    "jet_shahed": "M-F-Q",
    "cruise_missile": "W-M",
    "fighter": "M-F-F",
    "bomber": "M-F-B",
    "airliner": "C-F",
    "light_aircraft": "C-F",
    "helicopter": "M-H",
    "multicopter": "M-H-Q",
    "bird": "",
    "unknown": "",
    # sim.catalog kinds and types (ground-truth labels)
    "drone": "M-F-Q",
    "decoy": "M-F-Q",
    "missile": "W-M",
    "cruise-missile": "W-M",
}

ALERT_START = "b-a-g"
ALERT_CANCEL = "b-a-o-can"
SPOT_MARKER = "b-m-p-s-m"
INTERCEPT_POINT = "b-m-p-s-p-i"


def cot_type(identity: str, class_label: str | None) -> str:
    """The CoT type of an air track with this identity and class label.

    >>> cot_type("hostile", "shahed")
    'a-h-A-M-F-Q'
    """
    aff = AFFILIATION.get(identity, "u")
    function = CLASS_FUNCTION.get(class_label or "", "")
    return f"a-{aff}-A-{function}" if function else f"a-{aff}-A"
