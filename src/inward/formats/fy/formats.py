"""West Frisian formats: Dutch conventions, as Frisian is written in the Netherlands.

The month and weekday names these formats print come from the catalogues (Django has no
Frisian ones; ``inward/web/django_messages.py`` lists them so ``locale/fy`` carries them).
"""

# Django date format syntax: https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date
DATE_FORMAT = "j F Y"  # '20 jannewaris 2009'
TIME_FORMAT = "H:i"  # '15:23'
DATETIME_FORMAT = "j F Y H:i"  # '20 jannewaris 2009 15:23'
YEAR_MONTH_FORMAT = "F Y"  # 'jannewaris 2009'
MONTH_DAY_FORMAT = "j F"  # '20 jannewaris'
SHORT_DATE_FORMAT = "j-n-Y"  # '20-1-2009'
SHORT_DATETIME_FORMAT = "j-n-Y H:i"  # '20-1-2009 15:23'
FIRST_DAY_OF_WEEK = 1  # Monday (moandei)

# strftime syntax; Django adds the ISO formats (2009-01-20) to each list by itself.
DATE_INPUT_FORMATS = [
    "%d-%m-%Y",  # '20-01-2009'
    "%d-%m-%y",  # '20-01-09'
    "%d/%m/%Y",  # '20/01/2009'
    "%d/%m/%y",  # '20/01/09'
    "%Y/%m/%d",  # '2009/01/20'
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # '15:23:35'
    "%H:%M:%S.%f",  # '15:23:35.000200'
    "%H.%M:%S",  # '15.23:35'
    "%H.%M",  # '15.23'
    "%H:%M",  # '15:23'
]
DATETIME_INPUT_FORMATS = [
    f"{day} {time}"
    for day in ("%d-%m-%Y", "%d-%m-%y", "%d/%m/%Y", "%d/%m/%y", "%Y/%m/%d")
    for time in ("%H:%M:%S", "%H:%M:%S.%f", "%H:%M", "%H.%M")
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
