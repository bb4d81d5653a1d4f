"""Connect the domains' event subscribers. Every entry point (app, CLI, worker, tests) calls wire()."""


def wire() -> None:
    from fanloop.service import subscribers as service_desk

    service_desk.register()
