"""Photos kept in the ``photos`` table, for whichever record owns them (a meeting, a site
survey, a request): the files taken out of an upload (:mod:`.uploads`), stored under their
owner and read back only through it (:mod:`.store`), and served as an HTTP answer
(:mod:`.answer`). Checking, shrinking and stripping the metadata is
:func:`service.loop.photos.shrunk_photos`, done before any of this."""
