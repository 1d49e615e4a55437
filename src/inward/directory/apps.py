from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "inward.directory"
    label = "directory"
    verbose_name = "Directory"
