"""What every lesson shares: ``figures`` (style, palette, standalone figures), ``widgets``
(the base of every slider widget), ``exercises`` (the checker and its registry),
``timing`` (one timer, functions timed in alternation), ``hf`` (tiny ``transformers``
pieces built from a config, for side-by-side checks) and ``utils`` (``seed``, ``show_shape``).
"""
