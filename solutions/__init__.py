"""Worked solutions to the notebook exercises, one module per notebook (``nb01.py`` ...).

Each function is named like the part of the exercise id after the dot
(``"01.attention_scores"`` -> ``solutions.nb01.attention_scores``).
"""
