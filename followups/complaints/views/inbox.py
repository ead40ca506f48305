"""(filled in by its page group)"""

urlpatterns: list = []
