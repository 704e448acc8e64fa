"""What the tests share, each thing defined once; no test module is imported by another
(``tests/test_shape.py`` checks it).

- :mod:`~tests.support.paths`: the repository, the real elections, the demo's ballot file;
- :mod:`~tests.support.park`: the pocket-park options, read from the demo's file, and its
  decision bundles;
- :mod:`~tests.support.profiles`: small elections worked by hand, and one election as every
  kind of profile; :mod:`~tests.support.strategies`: random profiles for hypothesis;
- :mod:`~tests.support.app`: the app under test, its secret, staff, passwords and clock;
  :mod:`~tests.support.databases`: empty or fresh databases on each backend;
- :mod:`~tests.support.rounds`: rounds made in the database or through the API, codes,
  casting, closing; :mod:`~tests.support.audit`: the audit log behind the API;
- :mod:`~tests.support.box`: looking into the ballot box with the server secret;
- :mod:`~tests.support.pages`: driving the pages and the tablet as a browser would;
- :mod:`~tests.support.records_demo`: the whole demo, reproducible, for the records;
  :mod:`~tests.support.documents`: the text of a printed PDF, a PNG to upload;
- :mod:`~tests.support.chinese`: finding English and internal words in Chinese text;
- :mod:`~tests.support.cli`: running the command line.

The fixtures stay in the ``conftest.py`` files, where pytest finds them.
"""
