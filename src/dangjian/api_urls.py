from rest_framework.routers import DefaultRouter

from dangjian.members.api import MemberViewSet
from dangjian.orgs.api import OrgViewSet
from dangjian.places.api import RegionViewSet
from dangjian.tickets.api import TicketViewSet
from dangjian.units.api import DepartmentViewSet, UnitViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("orgs", OrgViewSet, basename="org")
router.register("departments", DepartmentViewSet, basename="department")
router.register("units", UnitViewSet, basename="unit")
router.register("members", MemberViewSet, basename="member")
router.register("tickets", TicketViewSet, basename="ticket")
urlpatterns = router.urls
