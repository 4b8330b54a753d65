"""The router each app's `api/urls.py` uses (DESIGN §6: one router per app, mounted side by side under v1/)."""

from rest_framework.routers import DefaultRouter


class AppRouter(DefaultRouter):
    """A DefaultRouter without its own root view.

    Several app routers share the `v1/` prefix; each one's root would answer `v1/` with only its own
    endpoints and shadow the others. `portal.api_urls` builds the one browsable root from all registries.
    Format suffixes (`.json`, `.api`) still come from DefaultRouter.
    """

    include_root_view = False

    def api_root_dict(self) -> dict:
        """prefix → URL name of its list route, the shape DRF's APIRootView expects."""
        list_name = self.routes[0].name
        return {prefix: list_name.format(basename=basename) for prefix, _viewset, basename in self.registry}
