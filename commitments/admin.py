from django.contrib import admin

from .models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "side", "updated_at"]
    list_filter = ["side"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
