"""Connect the domains' event subscribers. Every entry point (app, CLI, worker, tests) calls wire()."""


def wire() -> None:
    from fanloop.growth import subscribers as growth
    from fanloop.growth.campaigns import subscribers as campaigns
    from fanloop.insights.painpoints import subscribers as pain_points
    from fanloop.service import subscribers as service_desk
    from fanloop.service.notify import subscribers as notifications

    service_desk.register()
    notifications.register()
    pain_points.register()
    growth.register()
    campaigns.register()
